-- The ledger's references checked once per statement instead of once per row.
--
-- The allocation writes hundreds of thousands of ledger entries in one statement; four
-- foreign keys on each (municipality, taxpayer, payment, charge) cost four row-level trigger
-- queries per entry, which was most of a 100,000-transaction import. These two statement-level
-- triggers give the same guarantees in one join each (and a little more: an entry's taxpayer and
-- municipality must be its payment's, and its charge the same taxpayer's):
-- * an insert or update of entries whose payment or charge does not exist, or belongs to
--   another taxpayer or municipality, is refused (SQLSTATE 23503, as a foreign key would);
-- * deleting payments, charges, taxpayers or municipalities that entries refer to is refused.
-- (the payment's own foreign keys to the taxpayer and municipality keep those alive in turn.)

CREATE OR REPLACE FUNCTION payments_ledger_refs_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.payment_id, n.charge_id, n.taxpayer_id INTO bad
    FROM new_entries AS n
    LEFT JOIN payments_payment AS p ON p.id = n.payment_id
    LEFT JOIN payments_charge AS c ON c.id = n.charge_id
    WHERE p.id IS NULL
       OR p.taxpayer_id IS DISTINCT FROM n.taxpayer_id
       OR p.municipality_id IS DISTINCT FROM n.municipality_id
       OR (n.charge_id IS NOT NULL AND c.taxpayer_id IS DISTINCT FROM n.taxpayer_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry %: payment % / charge % missing or not of taxpayer %',
            bad.id, bad.payment_id, bad.charge_id, bad.taxpayer_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS payments_ledger_refs_ins ON payments_ledgerentry;
CREATE TRIGGER payments_ledger_refs_ins
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_refs_check();
DROP TRIGGER IF EXISTS payments_ledger_refs_upd ON payments_ledgerentry;
CREATE TRIGGER payments_ledger_refs_upd
    AFTER UPDATE ON payments_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_refs_check();

-- deleting what entries refer to: TG_ARGV[0] is the ledger's column naming the deleted rows
CREATE OR REPLACE FUNCTION payments_ledger_referenced_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    found_id bigint;
BEGIN
    EXECUTE format('SELECT g.id FROM gone AS g WHERE EXISTS (SELECT 1 FROM payments_ledgerentry '
                   'AS e WHERE e.%I = g.id) LIMIT 1', TG_ARGV[0]) INTO found_id;
    IF found_id IS NOT NULL THEN
        RAISE EXCEPTION '% % is referred to by the payments ledger', TG_TABLE_NAME, found_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS payments_ledger_keeps_payment ON payments_payment;
CREATE TRIGGER payments_ledger_keeps_payment
    AFTER DELETE ON payments_payment REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_referenced_check('payment_id');
DROP TRIGGER IF EXISTS payments_ledger_keeps_charge ON payments_charge;
CREATE TRIGGER payments_ledger_keeps_charge
    AFTER DELETE ON payments_charge REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_referenced_check('charge_id');
