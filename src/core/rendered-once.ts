/**
 * What a reply makes from an object the caches share (a validated session, a page of tokens):
 * made once per object and variant (a base URL), not on every request. The caches share an
 * object while nothing changes and replace it on any change, so what is made from it never
 * outlives what it shows. A few variants per object at most.
 */
export class RenderedOnce<T extends object, V> {
  readonly #made = new WeakMap<T, Map<string, V>>()
  readonly #variantsPerObject: number

  constructor (variantsPerObject = 4) {
    this.#variantsPerObject = variantsPerObject
  }

  get (object: T, variant: string, make: () => V): V {
    let variants = this.#made.get(object)
    if (!variants) this.#made.set(object, variants = new Map())
    let made = variants.get(variant)
    if (made === undefined) {
      if (variants.size >= this.#variantsPerObject) variants.clear()
      made = make()
      variants.set(variant, made)
    }
    return made
  }
}
