/**
 * schemas/error.ts — the body of a tiled error response: `{"detail": …}`.
 *
 * `detail` is a sentence for tiled's own errors, or FastAPI's list of validation problems
 * (`[{type, loc, msg, input, ctx}]`) when a parameter is out of range (`page[limit]=301`).
 *
 * @example
 * const body = ErrorBody.parse(JSON.parse(text));
 * typeof body.detail === "string" ? body.detail : body.detail.map((d) => d.msg).join("; ");
 * // "No such entry: ['bdp2022', 'nope']"
 */
import { z } from "zod";

export const ValidationProblem = z.looseObject({
  type: z.string(),
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
});
export type ValidationProblem = z.infer<typeof ValidationProblem>;

/** `detail` is kept whatever its shape (a proxy may send its own): errors.ts formats it. */
export const ErrorBody = z.object({
  detail: z.union([z.string(), z.array(ValidationProblem), z.unknown()]),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
