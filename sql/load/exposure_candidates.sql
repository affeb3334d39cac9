-- Explode each exposure's ASN_CANDIDATE cell into (id, type) pairs, reading the
-- cell as jwst reads it with Python's literal_eval:
--   * a list of 2-tuples (or 2-lists) of strings gives one pair per element;
--     the elements after the first malformed one are ignored;
--   * a whole number such as 1000 gives the pair (1000, unknown);
--   * anything else gives nothing.
-- Parameters: $pool_ids (the pools loaded); $element, a regex of one well-formed element whose
-- groups 1 and 2 are the quoted id and type; $full_list, a regex of a
-- well-formed list; $good_prefix, a regex whose group 1 is the well-formed
-- leading elements of a list; $acid_pattern, the grammar of a candidate id.
-- Leaves temp tables candidate_cells (how each exposure's cell read) and
-- candidate_pairs (every pair read).

{#- The value of a quoted Python string: without its quotes, the escaped quotes and
    backslashes read (other escapes, never seen in a pool, are kept as written). -#}
{% macro python_string(s) -%}
regexp_replace({{ s }}[2:-2], '\\([\\''"])', '\1', 'g')
{%- endmacro %}

create or replace temp table candidate_cells as
with cells as (
    select pool_id, row_no, line_no, asn_candidate as cell
    from exposures
    where list_contains($pool_ids, pool_id) and asn_candidate is not null
),
read as (
    select
        pool_id,
        row_no,
        line_no,
        cell,
        starts_with(cell, '[') and ends_with(cell, ']')          as is_list,
        regexp_full_match(cell, $full_list)                      as is_good_list,
        -- Python reads 007 as a syntax error, not as a number
        regexp_full_match(cell, '0|[1-9][0-9]*')                 as is_number
    from cells
),
-- The elements worth reading: all of a good list, the good start of a bad one.
-- Nearly every cell is a good list of single-quoted strings: split on the quote
-- it reads [prefix, id, sep, type, sep, id, sep, type, suffix], which is far
-- cheaper than two regular expressions over it.
parts as (
    select
        *,
        is_good_list and strpos(cell, '"') = 0 and strpos(cell, '\') = 0 as is_plain_list,
        case
            when is_good_list then cell
            when is_list then regexp_extract(cell, $good_prefix, 1)
        end                                                      as good_part
    from read
),
split as (
    select
        *,
        case when is_plain_list then string_split(cell, '''') end as pieces
    from parts
)
select
    pool_id,
    row_no,
    line_no,
    cell,
    case
        when is_plain_list then list_slice(pieces, 2, -1, 4)
        when is_list then list_transform(regexp_extract_all(good_part, $element, 1),
                                         lambda s: {{ python_string('s') }})
        when is_number then [cell]
        else []
    end as ids,
    case
        when is_plain_list then list_slice(pieces, 4, -1, 4)
        when is_list then list_transform(regexp_extract_all(good_part, $element, 2),
                                         lambda s: {{ python_string('s') }})
        when is_number then ['unknown']
        else []
    end as types,
    case
        when is_list then not is_good_list
        when is_number then false
        else cell not in ('', 'null', '--', 'n', 'f', 'false', 'n/a')
    end as is_malformed
from split;

-- Every (id, type) pair read; is_acid says whether the id follows the DMS grammar
-- of candidate ids ($acid_pattern, asn_sql/names.py). Ids go into file names, so a
-- pair whose id does not (o001/../x) is left out, and the loader warns.
create or replace temp table candidate_pairs as
select *, regexp_full_match(acid, $acid_pattern) as is_acid
from (
    select
        pool_id,
        row_no,
        line_no,
        generate_subscripts(ids, 1) - 1     as position,
        unnest(ids)                         as acid,
        unnest(types)                       as ctype
    from candidate_cells
    where len(ids) > 0
);

insert into exposure_candidates (pool_id, row_no, position, acid, ctype)
select pool_id, row_no, position, acid, ctype
from candidate_pairs
where is_acid;
