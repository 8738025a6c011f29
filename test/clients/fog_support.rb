# Shared by the fog scripts: loads fog-rackspace quietly and reports each step as one JSON line.
require 'json'
require 'excon'
$VERBOSE = nil
require 'fog/rackspace'

def emit(step, fields = {})
  puts JSON.generate({ step: step }.merge(fields))
  $stdout.flush
end

# Tessera's identity endpoint, as fog expects it (the path must end in /v2.0).
def auth_url
  ENV.fetch('TESSERA_URL') + '/v2.0'
end
