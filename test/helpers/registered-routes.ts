import type { FastifyInstance } from 'fastify'

/** Every (method, URL) the router knows, read from printRoutes' tree (URLs in the router's `:param` form). */
export function registeredRoutes (app: FastifyInstance): Array<{ method: string, url: string }> {
  const routes: Array<{ method: string, url: string }> = []
  const stack: Array<{ depth: number, path: string }> = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // The tree's drawing comes first; its width is the node's depth. A node extends its parent's path.
    const depth = /^[│├└─ ]*/.exec(line)![0].length
    const match = /^(.+) \(([A-Z, ]+)\)$/.exec(line.slice(depth))
    if (!match) continue
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop()
    const path = (stack.at(-1)?.path ?? '') + match[1]
    stack.push({ depth, path })
    for (const method of match[2]!.split(', ')) routes.push({ method, url: path })
  }
  return routes
}
