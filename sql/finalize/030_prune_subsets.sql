-- Associations sharing a product name: the one with fewer members goes when no
-- file has a different role in the two (jwst's prune_duplicate_products, whose
-- diff calls that a subset). Differences only in a file's suffix keep both.
-- The product names kept associations of different sizes share: where there is
-- none, no association has a bigger one of its name and the test (to the end
-- of the file) is not planned.
create or replace temp table named_alike as
select pool_id, level, product_name
from found_associations
where kept
group by all
having min(n_members) < max(n_members);

-- asnsql: unless_empty named_alike
update found_associations as f
set kept = false,
    fate = 'another association named ' || f.product_name || ' has more members, which jwst keeps'
where $finalize and f.kept and exists (
    select 1
    from found_associations as bigger
    where bigger.kept
      and bigger.pool_id = f.pool_id
      and bigger.level = f.level
      and bigger.product_name = f.product_name
      and bigger.n_members > f.n_members
      and not exists (
          select 1
          from rule_matches as a
          join rule_matches as b on a.expname = b.expname and a.exptype <> b.exptype
          where (a.level, a.rule, a.scope_id, a.group_key, a.split_index)
                = (f.level, f.rule, f.scope_id, f.group_key, f.split_index)
            and (b.level, b.rule, b.scope_id, b.group_key, b.split_index)
                = (bigger.level, bigger.rule, bigger.scope_id, bigger.group_key, bigger.split_index)
      )
);
