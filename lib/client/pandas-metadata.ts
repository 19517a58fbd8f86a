/**
 * client/pandas-metadata.ts — keep integer columns with nulls integers through tiled's pandas.
 *
 * tiled 0.2.20 turns an uploaded Arrow table into a pandas DataFrame (`read_pandas`) before it
 * stores it as Parquet (`write_table`). Without pandas metadata,
 * an integer column holding a null becomes float64 there, and is stored and served as double
 * (1 → 1.0; values past 2^53 rounded). tiled's Python client escapes this only because pandas
 * writes its own metadata (numpy_type "Int64") into the Arrow schema. This adds the same entry for
 * exactly those columns — pyarrow's `to_pandas` then makes them nullable integers (Int64, UInt8, …)
 * — and leaves every other column, and any metadata the caller set, as it was. (SQL storage,
 * `append_partition`, serves such a column as double whatever is sent: no help there.)
 *
 * @example
 * const sent = withNullableIntegers(tableFromArrays({ i: vectorFromArray([1n, null], new Int64()) }));
 * sent.schema.metadata.get("pandas");   // {"index_columns": [], "columns": [{"name": "i", "numpy_type": "Int64", …}]}
 */
import { DataType, Schema, Table } from "apache-arrow";

/** Add pandas metadata naming each integer column that holds a null as a nullable integer. */
export function withNullableIntegers(table: Table): Table {
  if (table.schema.metadata.has("pandas")) return table; // the caller said how pandas should read it
  const columns = table.schema.fields.flatMap((field) => {
    const type = field.type;
    if (!DataType.isInt(type) || (table.getChild(field.name)?.nullCount ?? 0) === 0) return [];
    const numpyType = `${type.isSigned ? "Int" : "UInt"}${type.bitWidth}`;
    return [{ name: field.name, field_name: field.name, pandas_type: numpyType.toLowerCase(), numpy_type: numpyType, metadata: null }];
  });
  if (columns.length === 0) return table;
  const metadata = new Map(table.schema.metadata);
  metadata.set("pandas", JSON.stringify({ index_columns: [], column_indexes: [], columns }));
  return new Table(new Schema(table.schema.fields, metadata, table.schema.dictionaries), table.batches.map((b) => b));
}
