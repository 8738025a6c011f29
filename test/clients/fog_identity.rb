# Drives Tessera with fog-rackspace's Identity service, unmodified; prints one JSON line per step.
# Run with Debian's /usr/bin/ruby (package ruby-fog-rackspace). Environment: TESSERA_URL,
# TESSERA_USERNAME, TESSERA_API_KEY.
require_relative 'fog_support'

identity = Fog::Rackspace::Identity.new(
  rackspace_username: ENV.fetch('TESSERA_USERNAME'),
  rackspace_api_key: ENV.fetch('TESSERA_API_KEY'),
  rackspace_auth_url: auth_url
)
first_token = identity.auth_token
catalog = identity.service_catalog
emit('authenticated', token: first_token, services: catalog.services.map(&:to_s).sort,
                      monitoring: catalog.get_endpoint(:cloudMonitoring).to_s)

tenants = identity.tenants.map { |tenant| { id: tenant.identity, name: tenant.name, enabled: tenant.enabled } }
emit('tenants', tenants: tenants)

# Revoke our own token behind fog's back (Rackspace's DELETE /v2.0/tokens): fog's next call gets a
# 401, re-authenticates once with the API key, and retries.
revoke = Excon.delete(auth_url + '/tokens', headers: { 'X-Auth-Token' => first_token })
emit('revoked', status: revoke.status)
tenants_after = identity.tenants.map(&:identity)
emit('reauthenticated', token_changed: identity.auth_token != first_token, tenants: tenants_after)

begin
  Fog::Rackspace::Identity.new(
    rackspace_username: ENV.fetch('TESSERA_USERNAME'),
    rackspace_api_key: '0' * 32,
    rackspace_auth_url: auth_url
  )
  emit('wrong-key', error: nil)
rescue Excon::Error::Unauthorized => e
  emit('wrong-key', error: e.class.name, status: e.response.status)
end

emit('done')
