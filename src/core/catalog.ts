import { Ajv } from 'ajv'
import { Type, type Static } from 'typebox'
import { sha256 } from './secrets.js'

/**
 * The service catalog template (CATALOG_FILE). Strings may hold the placeholders
 * {baseUrl}, {tenantId}, {tenantName} and {region}; they are filled in per token.
 */
const EndpointTemplateSchema = Type.Object({
  id: Type.Optional(Type.String({ minLength: 1 })),
  region: Type.Optional(Type.String({ minLength: 1 })),
  tenantId: Type.Optional(Type.String({ minLength: 1 })),
  publicURL: Type.String({ minLength: 1 }),
  internalURL: Type.Optional(Type.String({ minLength: 1 })),
  adminURL: Type.Optional(Type.String({ minLength: 1 }))
}, { additionalProperties: false })

const CatalogTemplateSchema = Type.Array(Type.Object({
  name: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  endpoints: Type.Array(EndpointTemplateSchema, { minItems: 1 })
}, { additionalProperties: false }))

type CatalogTemplateInput = Static<typeof CatalogTemplateSchema>
type EndpointTemplate = CatalogTemplateInput[number]['endpoints'][number]

/** A loaded template: every endpoint has its id, fixed once rather than per token. */
export type CatalogTemplate = Array<Omit<CatalogTemplateInput[number], 'endpoints'> & { endpoints: Array<EndpointTemplate & { id: string }> }>

/** Endpoint ids are stable across replicas and restarts: derived from the template position. */
function endpointId (serviceName: string, index: number): string {
  return sha256(`${serviceName}/${index}`).toString('hex').slice(0, 32)
}

function withEndpointIds (template: CatalogTemplateInput): CatalogTemplate {
  return template.map((service) => ({
    ...service,
    endpoints: service.endpoints.map((endpoint, index) => ({ ...endpoint, id: endpoint.id ?? endpointId(service.name, index) }))
  }))
}

/**
 * Identity points back at this server; Cloud Monitoring has exactly one endpoint and no
 * region, because fog (Monitoring) refuses several endpoints or a regioned one (spec §9.3, §12.3).
 */
export const defaultCatalogTemplate: CatalogTemplate = withEndpointIds([
  {
    name: 'keystone',
    type: 'identity',
    endpoints: [{ region: '{region}', publicURL: '{baseUrl}/v2.0', internalURL: '{baseUrl}/v2.0', adminURL: '{baseUrl}/v2.0' }]
  },
  {
    name: 'cloudMonitoring',
    type: 'rax:monitor',
    endpoints: [{ tenantId: '{tenantId}', publicURL: '{baseUrl}/v1.0/{tenantId}' }]
  }
])

const validateTemplate = new Ajv({ allErrors: false }).compile(CatalogTemplateSchema)

export function parseCatalogTemplate (value: unknown): CatalogTemplate {
  if (!validateTemplate(value)) {
    const error = validateTemplate.errors?.[0]
    throw new Error(`${error?.instancePath || '/'} ${error?.message ?? 'is invalid'}`)
  }
  return withEndpointIds(value as CatalogTemplateInput)
}

export interface CatalogEndpoint {
  id: string
  region?: string
  tenantId?: string
  publicURL: string
  internalURL?: string
  adminURL?: string
}

export interface CatalogService {
  name: string
  type: string
  endpoints: CatalogEndpoint[]
}

export interface CatalogContext {
  baseUrl: string
  tenantId: string
  tenantName: string
  region: string
}

function fill (text: string, context: CatalogContext): string {
  return text.replace(/\{(baseUrl|tenantId|tenantName|region)\}/g, (_, key: keyof CatalogContext) => context[key])
}

export function renderCatalog (template: CatalogTemplate, context: CatalogContext): CatalogService[] {
  return template.map((service) => ({
    name: service.name,
    type: service.type,
    endpoints: service.endpoints.map((endpoint) => {
      const rendered: CatalogEndpoint = { id: endpoint.id, publicURL: fill(endpoint.publicURL, context) }
      for (const key of ['region', 'tenantId', 'internalURL', 'adminURL'] as const) {
        const value = endpoint[key]
        if (value !== undefined) rendered[key] = fill(value, context)
      }
      return rendered
    })
  }))
}
