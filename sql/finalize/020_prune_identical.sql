-- Identical memberships, whatever rule, type or candidate made them: keep one,
-- the greatest asn_id (o... > c... > a3001), then the one created last
-- (jwst's prune_duplicate_associations). Each level of each pool is pruned apart.
update found_associations as f
set kept = false,
    fate = 'it has the same members as ' || ranked.winner || ', which jwst keeps'
from (
    select
        match_id,
        row_number() over same_members as pick,
        first_value(rule || ' in ' || acid) over same_members as winner
    from found_associations
    where kept
    window same_members as (
        partition by pool_id, level, membership
        order by acid desc, scope_id desc, seed_row desc, rule_rank desc, split_index desc
    )
) as ranked
where $finalize and f.match_id = ranked.match_id and ranked.pick > 1;
