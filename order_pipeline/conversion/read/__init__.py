"""Reading: input files of every format -> ParsedBatch (bounded chunks), format detection, schema checks."""
