/**
 * schemas/structures.ts — the `structure` of a node, one schema per structure family.
 *
 * An array's structure says how to decode its bytes (data_type → TypedArray, shape, chunks);
 * a table's says its columns and partitions (arrow_schema is a base64 data: URI of an Arrow
 * schema); a container's says how many children it has.
 *
 * @example
 * const s = ArrayStructure.parse(item.attributes.structure);
 * s.data_type;   // { endianness: "little", kind: "u", itemsize: 2 }
 * s.shape;       // [10, 1, 1024, 1024]
 * s.chunks;      // [[10], [1], [1024], [1024]]
 */
import { z } from "zod";

export const StructureFamily = z.enum(["array", "awkward", "container", "composite", "sparse", "table", "ragged"]);
export type StructureFamily = z.infer<typeof StructureFamily>;

export const Endianness = z.enum(["big", "little", "not_applicable"]);
export type Endianness = z.infer<typeof Endianness>;

/** numpy's `kind` letters: b bool, i int, u uint, f float, c complex, m timedelta, M datetime, S bytes, U str, V void. */
export const Kind = z.enum(["b", "i", "u", "f", "c", "m", "M", "S", "U", "V"]);
export type Kind = z.infer<typeof Kind>;

/**
 * One number (or one fixed-width text) per element. `itemsize` is positive, except for text:
 * databroker describes a string data key as numpy's "<U0" (`itemsize: 0`, the descriptor's
 * `dtype_numpy`) while `/array/full` sends UCS-4 at the true width, so for kinds U and S a 0 means
 * "the width is the bytes received divided by the count" (dtype.ts `textWidth`).
 */
export const BuiltinDtype = z
  .looseObject({
    endianness: Endianness,
    kind: Kind,
    itemsize: z.number().int().nonnegative(),
    /** Units of datetime64/timedelta64 (e.g. "[ns]"); null otherwise. */
    dt_units: z.string().nullable().optional(),
  })
  .refine((dt) => dt.itemsize > 0 || dt.kind === "U" || dt.kind === "S", {
    message: "itemsize must be positive (0 is accepted for text only, kinds U and S)",
    path: ["itemsize"],
  });
export type BuiltinDtype = z.infer<typeof BuiltinDtype>;

/** A numpy structured dtype: not decodable to one TypedArray, kept for a clear error. */
export const StructDtype = z.looseObject({
  itemsize: z.number().int(),
  fields: z.array(z.unknown()),
});
export type StructDtype = z.infer<typeof StructDtype>;

export const ArrayStructure = z.looseObject({
  data_type: z.union([BuiltinDtype, StructDtype]),
  /** Chunk sizes along each axis: chunks[axis] lists the sizes of that axis's blocks. */
  chunks: z.array(z.array(z.number().int().nonnegative())),
  shape: z.array(z.number().int().nonnegative()),
  dims: z.array(z.string()).nullable().optional(),
  resizable: z.union([z.boolean(), z.array(z.boolean())]).optional(),
});
export type ArrayStructure = z.infer<typeof ArrayStructure>;

export const TableStructure = z.looseObject({
  /** "data:application/vnd.apache.arrow.file;base64,…": the Arrow schema of the table. */
  arrow_schema: z.string(),
  npartitions: z.number().int().nonnegative(),
  columns: z.array(z.string()),
  resizable: z.union([z.boolean(), z.array(z.boolean())]).optional(),
});
export type TableStructure = z.infer<typeof TableStructure>;

export const ContainerStructure = z.looseObject({
  /** Children sent inline (rare on SQL catalogs: null). */
  contents: z.record(z.string(), z.unknown()).nullable().optional(),
  count: z.number().int().nonnegative().nullable().optional(),
});
export type ContainerStructure = z.infer<typeof ContainerStructure>;
