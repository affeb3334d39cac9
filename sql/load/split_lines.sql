-- Split one pool file's text into lines, and each data line into fields, as
-- jwst's astropy reader does: '#' lines and blank lines are skipped, fields are
-- split on the delimiter and trimmed, and a field wrapped in double quotes may
-- hold the delimiter. Parameters: $pool_index (which file of the command);
-- $path (the file, read here) or $text (its whole text, when the path holds
-- characters DuckDB would read as a glob); $delimiter; $quoted_field (a regular
-- expression matching one field and the delimiter after it); $padded_field (a
-- regular expression that finds a field with spaces or tabs at either end).
-- With `many` (a batch's chunk), several files at once: $pool_indexes and
-- $texts, a list each, in place of $pool_index and $text.
-- Appends to temp tables pool_lines and pool_fields (see staging.sql).

-- The text as one list of lines. Unnesting a stored list is several times
-- faster than unnesting the expression that makes it.
create or replace temp table pool_text as
{%- if many %}
select pool_index, string_split(text, chr(10)) as lines
from (select unnest($pool_indexes) as pool_index, unnest($texts) as text);
{%- elif from_file %}
select string_split(
    case when starts_with(content, chr(65279)) then content[2:] else content end, chr(10)
) as lines
from read_text($path);
{%- else %}
select string_split($text, chr(10)) as lines;
{%- endif %}

insert into pool_lines
select {{ 'pool_index' if many else '$pool_index' }}, generate_subscripts(lines, 1), unnest(lines)
from pool_text;

drop table pool_text;

insert into pool_fields
with data_lines as (
    select
{%- if many %}
        pool_index,
{%- endif %}
        line_no,
        case when ends_with(line, chr(13)) then rtrim(line, chr(13)) else line end as line
    from pool_lines
{%- if many %}
    where list_contains($pool_indexes, pool_index) and pool_line_kind(line) = 'data'
{%- else %}
    where pool_index = $pool_index and pool_line_kind(line) = 'data'
{%- endif %}
)
select
    {{ 'pool_index' if many else '$pool_index' }},
    line_no,
    case
        when strpos(line, '"') > 0 then list_transform(
            regexp_extract_all(line || $delimiter, $quoted_field, 1),
            lambda f: case
                -- a quoted field loses its quotes ("x|y" -> x|y, "" -> ")
                when length(trim(f, ' ' || chr(9))) >= 2
                     and starts_with(trim(f, ' ' || chr(9)), '"')
                     and ends_with(trim(f, ' ' || chr(9)), '"')
                    then replace(trim(f, ' ' || chr(9))[2:-2], '""', '"')
                else trim(f, ' ' || chr(9))
            end
        )
        -- trimming every field of every line is the slow part; most lines need none
        when regexp_matches(line, $padded_field) then list_transform(
            string_split(line, $delimiter), lambda f: trim(f, ' ' || chr(9))
        )
        else string_split(line, $delimiter)
    end as fields
from data_lines;
