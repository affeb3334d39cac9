-- Temp tables that hold the pool files of one `asnsql load` while they are checked.
create temp table pool_lines (
    pool_index integer, line_no integer, line varchar, is_blank boolean, is_comment boolean
);
create temp table pool_fields (pool_index integer, line_no integer, fields varchar[]);
