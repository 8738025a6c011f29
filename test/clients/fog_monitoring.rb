# Drives Tessera's agent tokens with fog-rackspace's Monitoring service, unmodified; prints one
# JSON line per step. Run with Debian's /usr/bin/ruby (package ruby-fog-rackspace). Environment:
# TESSERA_URL, TESSERA_USERNAME, TESSERA_API_KEY.
require_relative 'fog_support'

# API-key login through /v2.0/tokens; the endpoint comes from the catalog's cloudMonitoring entry.
monitoring = Fog::Rackspace::Monitoring.new(
  rackspace_username: ENV.fetch('TESSERA_USERNAME'),
  rackspace_api_key: ENV.fetch('TESSERA_API_KEY'),
  rackspace_auth_url: auth_url
)
emit('connected', endpoint: monitoring.instance_variable_get(:@uri).to_s)

tokens = monitoring.agent_tokens
created = tokens.create(label: 'fog-agent')
emit('created', id: created.id)

fetched = tokens.get(created.id)
emit('fetched', id: fetched.id, token: fetched.token, label: fetched.label)

unlabelled = tokens.create
emit('created-unlabelled', id: unlabelled.id, label: tokens.get(unlabelled.id).label)
3.times { |i| tokens.create(label: "fog-extra-#{i}") }

# Page through with limit 2: fog keeps metadata.next_marker as the collection's marker.
pages = []
page = tokens.all(limit: 2)
pages << page.map(&:id)
while tokens.marker
  page = tokens.all(limit: 2, marker: tokens.marker)
  pages << page.map(&:id)
end
emit('listed', pages: pages, labels: pages.flatten.map { |id| tokens.get(id).label })

begin
  tokens.create(label: 'x' * 256)
  emit('bad-label', error: nil)
rescue Fog::Rackspace::Monitoring::BadRequest => e
  emit('bad-label', error: e.class.name, status: e.status_code, message: e.message,
                    validation_errors: e.validation_errors, transaction_id: e.transaction_id)
end

# Revoke fog's identity token behind its back: the next call gets 401, fog re-authenticates once
# with the API key and retries.
first_token = monitoring.send(:auth_token)
revoke = Excon.delete(auth_url + '/tokens', headers: { 'X-Auth-Token' => first_token })
emit('revoked', status: revoke.status)
again = tokens.get(created.id)
emit('reauthenticated', token_changed: monitoring.send(:auth_token) != first_token, id: again && again.id)

emit('deleted', result: created.destroy.status)
emit('after-delete', found: tokens.get(created.id).nil? ? nil : 'still there')

begin
  created.destroy
  emit('delete-again', error: nil)
rescue Fog::Rackspace::Monitoring::NotFound => e
  emit('delete-again', error: e.class.name, status: e.status_code, transaction_id: e.transaction_id)
end

emit('done')
