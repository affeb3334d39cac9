-- Temp tables that hold the pool files of one `asnsql load` while they are checked.
-- pool_lines holds the raw lines of the pool being checked (emptied after it);
-- pool_fields keeps every pool's split data lines until they are loaded.
create temp table pool_lines (pool_index integer, line_no integer, line varchar);
create temp table pool_fields (pool_index integer, line_no integer, fields varchar[]);

-- What jwst's reader makes of one raw line: 'comment' (first non-blank character
-- is '#'), 'blank' (only spaces, tabs, a carriage return) or 'data'. The cheap
-- tests come first because this runs once per line of every pool.
create temp macro pool_line_kind(line) as
    case
        when starts_with(line, '#') then 'comment'
        when line = '' then 'blank'
        when ascii(line) not in (9, 13, 32) then 'data'
        when trim(line, ' ' || chr(9) || chr(13)) = '' then 'blank'
        when starts_with(ltrim(line, ' ' || chr(9)), '#') then 'comment'
        else 'data'
    end;
