/**
 * schemas/index.ts — every zod schema of the tiled HTTP API the library validates against.
 *
 * @example
 * import { About, SearchPage, ArrayStructure } from "./schemas/index";
 * const page: SearchPage = SearchPage.parse(json);
 * const about: About = About.parse(json);
 * ArrayStructure.safeParse(page.data[0].attributes.structure).success;
 */
export * from "./about";
export * from "./error";
export * from "./structures";
export * from "./node";
export * from "./bluesky";
