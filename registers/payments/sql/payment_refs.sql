-- The payments' references checked once per statement instead of once per row.
--
-- A statement of 100,000 transactions inserts 100,000 payments, and the allocation updates
-- them again in the same transaction; a foreign key re-checks a row inserted by its own
-- transaction on every update, so the payments' four foreign keys (municipality, statement,
-- taxpayer, named charge) cost about 300,000 row-level trigger queries per statement at
-- commit. These statement-level triggers give the same guarantees with one join per statement
-- (as sql/ledger_refs.sql does for the ledger):
-- * an insert, or an update of a reference, naming a municipality, statement, taxpayer or
--   charge that does not exist is refused (SQLSTATE 23503, as a foreign key would);
-- * deleting municipalities, statements, taxpayers or charges a payment refers to is refused.
-- Unlike the deferred foreign keys they check at the end of each statement, not at commit
-- (every writer inserts the statement, taxpayer and charge before the payments naming them).

CREATE OR REPLACE FUNCTION payments_payment_refs_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.municipality_id, n.statement_id, n.taxpayer_id, n.named_charge_id INTO bad
    FROM new_payments AS n
    LEFT JOIN layers_municipality AS m ON m.id = n.municipality_id
    LEFT JOIN payments_statement AS s ON s.id = n.statement_id
    LEFT JOIN taxes_taxpayer AS t ON t.id = n.taxpayer_id
    LEFT JOIN payments_charge AS c ON c.id = n.named_charge_id
    WHERE m.id IS NULL
       OR (n.statement_id IS NOT NULL AND s.id IS NULL)
       OR (n.taxpayer_id IS NOT NULL AND t.id IS NULL)
       OR (n.named_charge_id IS NOT NULL AND c.id IS NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'payment %: municipality % / statement % / taxpayer % / charge % missing',
            bad.id, bad.municipality_id, bad.statement_id, bad.taxpayer_id, bad.named_charge_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS payments_payment_refs_ins ON payments_payment;
CREATE TRIGGER payments_payment_refs_ins
    AFTER INSERT ON payments_payment
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_refs_check();
-- every update is checked whole (a trigger with a transition table cannot list columns): one
-- join per statement, e.g. once per allocation round for all its payments
DROP TRIGGER IF EXISTS payments_payment_refs_upd ON payments_payment;
CREATE TRIGGER payments_payment_refs_upd
    AFTER UPDATE ON payments_payment
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_refs_check();

-- deleting what payments refer to: TG_ARGV[0] is the payments' column naming the deleted rows
CREATE OR REPLACE FUNCTION payments_payment_referenced_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    found_id bigint;
BEGIN
    EXECUTE format('SELECT g.id FROM gone AS g WHERE EXISTS (SELECT 1 FROM payments_payment '
                   'AS p WHERE p.%I = g.id) LIMIT 1', TG_ARGV[0]) INTO found_id;
    IF found_id IS NOT NULL THEN
        RAISE EXCEPTION '% % is referred to by payments', TG_TABLE_NAME, found_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS payments_payment_keeps_municipality ON layers_municipality;
CREATE TRIGGER payments_payment_keeps_municipality
    AFTER DELETE ON layers_municipality REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_referenced_check('municipality_id');
DROP TRIGGER IF EXISTS payments_payment_keeps_statement ON payments_statement;
CREATE TRIGGER payments_payment_keeps_statement
    AFTER DELETE ON payments_statement REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_referenced_check('statement_id');
DROP TRIGGER IF EXISTS payments_payment_keeps_taxpayer ON taxes_taxpayer;
CREATE TRIGGER payments_payment_keeps_taxpayer
    AFTER DELETE ON taxes_taxpayer REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_referenced_check('taxpayer_id');
DROP TRIGGER IF EXISTS payments_payment_keeps_charge ON payments_charge;
CREATE TRIGGER payments_payment_keeps_charge
    AFTER DELETE ON payments_charge REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION payments_payment_referenced_check('named_charge_id');
