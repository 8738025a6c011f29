-- User ids become lowercase UUID v4 (NetApp Astra paths and resources carry them, and its
-- schema accepts nothing else). Existing users get a new random id; the rows that refer to
-- them follow through ON UPDATE CASCADE, which also keeps any later change consistent.

alter table role_assignments drop constraint role_assignments_user_id_fkey,
  add constraint role_assignments_user_id_fkey foreign key (user_id) references users (id) on delete cascade on update cascade;
alter table api_keys drop constraint api_keys_user_id_fkey,
  add constraint api_keys_user_id_fkey foreign key (user_id) references users (id) on delete cascade on update cascade;
alter table auth_sessions drop constraint auth_sessions_user_id_fkey,
  add constraint auth_sessions_user_id_fkey foreign key (user_id) references users (id) on delete cascade on update cascade;

update users set id = gen_random_uuid()::text
  where id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

alter table users add constraint users_id_uuid_v4
  check (id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$');
