"""Drives Tessera with keystoneauth1's own v2 plugins, unmodified; prints one JSON line per step.

Run with Debian's /usr/bin/python3 (package python3-keystoneauth1). Environment: TESSERA_URL,
TESSERA_USERNAME, TESSERA_PASSWORD, TESSERA_TENANT_ID, TESSERA_TENANT_NAME, and an admin's
TESSERA_ADMIN_USERNAME, TESSERA_ADMIN_PASSWORD, TESSERA_ADMIN_TENANT_ID.
"""
import json
import os
import sys

from keystoneauth1 import exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic, v2

env = os.environ
base = env['TESSERA_URL']
auth_url = base + '/v2.0'


def emit(step, **fields):
    print(json.dumps({'step': step, **fields}), flush=True)


def describe(access):
    return {
        'token': access.auth_token,
        'expires': access.expires.isoformat(),
        'issued': access.issued.isoformat(),
        'user_id': access.user_id,
        'username': access.username,
        'scoped': access.project_scoped,
        'project_id': access.project_id,
        'project_name': access.project_name,
        'roles': sorted(access.role_names),
        'audit_id': access.audit_id,
        'audit_chain_id': access.audit_chain_id,
    }


# Password plugin, unscoped.
password = v2.Password(auth_url=auth_url, username=env['TESSERA_USERNAME'], password=env['TESSERA_PASSWORD'])
unscoped = password.get_access(ks_session.Session(auth=password))
emit('password-unscoped', **describe(unscoped))

# Token plugin: re-scope the unscoped token to the tenant (it also sends X-Auth-Token).
token_plugin = v2.Token(auth_url=auth_url, token=unscoped.auth_token, tenant_id=env['TESSERA_TENANT_ID'])
scoped_session = ks_session.Session(auth=token_plugin)
scoped = token_plugin.get_access(scoped_session)
emit('token-rescoped', **describe(scoped),
     monitoring=scoped_session.get_endpoint(service_type='rax:monitor', interface='public'),
     identity_admin=scoped_session.get_endpoint(service_type='identity', interface='admin'))

# Password plugin scoped by tenant name.
by_name = v2.Password(auth_url=auth_url, username=env['TESSERA_USERNAME'], password=env['TESSERA_PASSWORD'],
                      tenant_name=env['TESSERA_TENANT_NAME'])
emit('password-scoped-by-name', **describe(by_name.get_access(ks_session.Session(auth=by_name))))

# The generic plugin discovers the version from the root URL, then uses v2.0.
discovered = generic.Password(auth_url=base, username=env['TESSERA_USERNAME'], password=env['TESSERA_PASSWORD'],
                              project_id=env['TESSERA_TENANT_ID'])
discovered_access = discovered.get_access(ks_session.Session(auth=discovered))
emit('generic-discovery', version=discovered_access.version, **describe(discovered_access))

# An admin validates, checks and revokes the scoped token.
admin = v2.Password(auth_url=auth_url, username=env['TESSERA_ADMIN_USERNAME'], password=env['TESSERA_ADMIN_PASSWORD'],
                    tenant_id=env['TESSERA_ADMIN_TENANT_ID'])
admin_session = ks_session.Session(auth=admin)
validated = admin_session.get(auth_url + '/tokens/' + scoped.auth_token,
                              params={'belongsTo': env['TESSERA_TENANT_ID']}).json()['access']
emit('validate', user_id=validated['user']['id'], tenant_id=validated['token']['tenant']['id'],
     expires=validated['token']['expires'])
emit('check', status=admin_session.head(auth_url + '/tokens/' + scoped.auth_token).status_code)
emit('revoke', status=admin_session.delete(auth_url + '/tokens/' + scoped.auth_token).status_code)

# The revoked token is refused everywhere.
try:
    admin_session.get(auth_url + '/tokens/' + scoped.auth_token)
    emit('validate-revoked', error=None)
except exceptions.NotFound as error:
    emit('validate-revoked', error='NotFound', status=error.http_status)
try:
    ks_session.Session().get(auth_url + '/tenants', headers={'X-Auth-Token': scoped.auth_token})
    emit('use-revoked', error=None)
except exceptions.Unauthorized as error:
    emit('use-revoked', error='Unauthorized', status=error.http_status)
try:
    again = v2.Token(auth_url=auth_url, token=scoped.auth_token, tenant_id=env['TESSERA_TENANT_ID'])
    again.get_access(ks_session.Session(auth=again))
    emit('rescope-revoked', error=None)
except exceptions.Unauthorized as error:
    emit('rescope-revoked', error='Unauthorized', status=error.http_status)

# A wrong password raises keystoneauth's Unauthorized.
try:
    wrong = v2.Password(auth_url=auth_url, username=env['TESSERA_USERNAME'], password='not-the-password')
    wrong.get_access(ks_session.Session(auth=wrong))
    emit('wrong-password', error=None)
except exceptions.Unauthorized as error:
    emit('wrong-password', error='Unauthorized', status=error.http_status)

emit('done')
sys.exit(0)
