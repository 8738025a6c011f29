import { fuzzRouteShare } from './route-share.js'

/** Half 1 of 2 of the OpenAPI operations (the other half: routes-2.test.ts, on another worker). */
fuzzRouteShare(0, 2)
