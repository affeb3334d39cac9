-- Names built from pool values must follow their DMS grammar before anything is
-- written (asn_sql/names.py): the association's file name ($asn_file_pattern:
-- jw + a program of digits, a candidate id, the type, the sequence) and its
-- product name, which the pipeline turns into file names ($unsafe_pattern: no
-- path separator, '..' or control character). jwst would write such an
-- association as it is; asnsql leaves it out and warns, naming the pool line of
-- the exposure that started it. Parameters: $asn_file_pattern,
-- $unsafe_pattern.

create or replace temp table misnamed_associations as
select
    a.match_id,
    a.name,
    a.product_name,
    a.program,
    a.pool_id,
    x.line_no,
    case
        when not coalesce(regexp_full_match(a.name || '.json', $asn_file_pattern), false)
            then 'its file name ' || coalesce('''' || a.name || '.json''', 'has no program')
                 || ' does not follow jwPPPPP-ACID_TYPE_NNNNN_asn.json'
        else 'its product name ''' || a.product_name
             || ''' holds a path separator, ''..'' or a control character'
    end as reason
from numbered_associations as a
left join exposures as x on x.pool_id = a.pool_id and x.row_no = a.seed_row
where not coalesce(regexp_full_match(a.name || '.json', $asn_file_pattern), false)
   or coalesce(regexp_matches(a.product_name, $unsafe_pattern), false);

-- (every name follows its grammar: nothing to leave out, here to the end)
-- asnsql: unless_empty misnamed_associations
delete from numbered_associations
where match_id in (select match_id from misnamed_associations);

-- What became of them, for orphans and explain (their numbers stay taken).
update found_associations as f
set kept = false, fate = 'asnsql left it out: ' || m.reason
from misnamed_associations as m
where f.match_id = m.match_id;
