-- Split one pool file's text into lines, and each data line into fields, as
-- jwst's astropy reader does: '#' lines and blank lines are skipped, fields are
-- split on the delimiter and trimmed, and a field wrapped in double quotes may
-- hold the delimiter. Parameters: $pool_index (which file of the command),
-- $text (the whole file), $delimiter, $quoted_field (a regular expression
-- matching one field and the delimiter after it).
-- Appends to temp tables pool_lines and pool_fields (created by the loader).

insert into pool_lines
with numbered as (
    select
        generate_subscripts(lines, 1) as line_no,
        unnest(lines)                 as line
    from (select string_split($text, chr(10)) as lines)
)
select
    $pool_index,
    line_no,
    rtrim(line, chr(13))                                          as line,
    trim(line, ' ' || chr(9) || chr(13)) = ''                     as is_blank,
    regexp_matches(line, '^[ \t]*#')                              as is_comment
from numbered;

insert into pool_fields
with data_lines as (
    select line_no, line
    from pool_lines
    where pool_index = $pool_index and not is_blank and not is_comment
),
split as (
    select
        line_no,
        case
            when strpos(line, '"') = 0 then string_split(line, $delimiter)
            else regexp_extract_all(line || $delimiter, $quoted_field, 1)
        end as raw_fields
    from data_lines
)
select
    $pool_index,
    line_no,
    list_transform(
        raw_fields,
        lambda f: case
            -- a quoted field loses its quotes ("x|y" -> x|y, "" -> ")
            when length(trim(f, ' ' || chr(9))) >= 2
                 and starts_with(trim(f, ' ' || chr(9)), '"')
                 and ends_with(trim(f, ' ' || chr(9)), '"')
                then replace(trim(f, ' ' || chr(9))[2:-2], '""', '"')
            else trim(f, ' ' || chr(9))
        end
    ) as fields
from split;
