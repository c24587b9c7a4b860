-- The audit trail: append-only, hash-chained like the ledger (app.core.audit writes it,
-- app.ops.audit.verify checks it with `flask audit verify`).
--
-- audit_hash: a record's hash covers the previous record's hash and the record's canonical
-- content. The content is hashed as a jsonb object's text: jsonb prints its keys in one fixed
-- order and escapes every value, so no two different records share a text (a '|'-joined string
-- would let "a|b" + "c" collide with "a" + "b|c"). verify recomputes it with this same function.
CREATE OR REPLACE FUNCTION audit_hash(
    p_seq bigint, p_prev_hash text, p_actor_type text, p_actor_id text, p_action text,
    p_object_type text, p_object_id text, p_before jsonb, p_after jsonb, p_reason text, p_ip text,
    p_created_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$  -- STABLE: to_char of a timestamptz
    SELECT encode(sha256(convert_to(p_prev_hash || jsonb_build_object(
        'seq', p_seq, 'actor_type', p_actor_type, 'actor_id', p_actor_id, 'action', p_action,
        'object_type', p_object_type, 'object_id', p_object_id, 'before', p_before, 'after', p_after,
        'reason', p_reason, 'ip', p_ip,
        'at', to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8')), 'hex')
$$;

-- audit_append: one record, inside the caller's transaction. The chain has one head, so appends
-- take a transaction-scoped advisory lock and queue: two actions at once must not both extend
-- the same previous record. Callers append as their LAST step before commit, so the lock is held
-- only for the commit and nobody waits for another lock while holding it (no deadlock with the
-- ledger's account locks). Audited actions are operator and staff actions: rare, so one queue is cheap.
CREATE OR REPLACE FUNCTION audit_append(
    p_actor_type text, p_actor_id text, p_action text, p_object_type text, p_object_id text,
    p_before jsonb, p_after jsonb, p_reason text, p_ip text, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_records'));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_records ORDER BY seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0) + 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
    INSERT INTO audit_records (seq, actor_type, actor_id, action, object_type, object_id, before, after,
                               reason, ip, created_at, prev_hash, hash)
    VALUES (last_seq, p_actor_type, p_actor_id, p_action, p_object_type, p_object_id, p_before, p_after,
            p_reason, p_ip, p_now, last_hash,
            audit_hash(last_seq, last_hash, p_actor_type, p_actor_id, p_action, p_object_type, p_object_id,
                       p_before, p_after, p_reason, p_ip, p_now));
    RETURN last_seq;
END;
$$;

-- Append-only at the database level: whatever the application does, an UPDATE or DELETE of a
-- record is refused. (TRUNCATE is not refused: the test suite empties every table between
-- tests, and TRUNCATE needs the table owner's rights anyway; the hash chain still shows it, as
-- a verify against an exported head hash would.)
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only: % refused', TG_OP;
END;
$$;
