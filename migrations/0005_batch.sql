-- Why: a batch skips a pool whose run already used the same SQL, so a run records a digest of every file under sql/ (rules_hash covers only rules, macros and finalize, not the engine).

alter table runs add column sql_hash varchar;  -- NULL for runs made before asnsql recorded it
