-- Identical memberships, whatever rule, type or candidate made them: keep one,
-- the greatest asn_id (o... > c... > a3001), then the one created last
-- (jwst's prune_duplicate_associations). Each level is pruned apart.
update found_associations as f set kept = false
from (
    select
        match_id,
        row_number() over (
            partition by level, membership
            order by acid desc, scope_id desc, seed_row desc, rule_rank desc, split_index desc
        ) as pick
    from found_associations
    where kept
) as ranked
where $finalize and f.match_id = ranked.match_id and ranked.pick > 1;
