-- payments_rate_days(start_day, end_day): Σ (yearly rate in % × days) over the days
-- start_day < d <= end_day, each day at the rate in force that day (payments_interestrate, a
-- dated table). Same as rules.rate_days.
CREATE OR REPLACE FUNCTION payments_rate_days(start_day date, end_day date)
RETURNS numeric
LANGUAGE sql
STABLE
AS $$
    SELECT coalesce(sum(r.annual_percent
                        * (least(end_day, r.valid_to) - greatest(start_day + 1, r.valid_from) + 1)),
                    0)
    FROM (
        SELECT valid_from, annual_percent,
               coalesce(lead(valid_from) OVER (ORDER BY valid_from) - 1, 'infinity'::date)
                   AS valid_to
        FROM payments_interestrate
    ) AS r
    WHERE end_day > start_day
      AND r.valid_from <= end_day
      AND r.valid_to >= start_day + 1
$$;

-- payments_allocate(municipality): allocates every matched payment of the municipality to its
-- taxpayer's open charges, as rules.allocate_payment does (art. 55 § 2, art. 62 § 1, art. 56,
-- art. 54 § 1 pkt 5, art. 76 o.p.), and writes each step to payments_ledgerentry.
-- Set-based: each round takes, for every taxpayer at once, the earliest matched payment
-- (booked date, id) and allocates all of them in one statement; rounds repeat while payments
-- remain, so their number is the largest count of payments one taxpayer has in the batch, not
-- the number of payments. Returns the number of payments allocated.
CREATE OR REPLACE FUNCTION payments_allocate(mun bigint)
RETURNS integer
LANGUAGE plpgsql
SET jit = off
AS $$
DECLARE
    n integer;
    total integer := 0;
BEGIN
    LOOP
        WITH rates AS MATERIALIZED (
            SELECT valid_from, annual_percent,
                   coalesce(lead(valid_from) OVER (ORDER BY valid_from) - 1, 'infinity'::date)
                       AS valid_to
            FROM payments_interestrate
        ),
        -- the threshold of art. 54 § 1 pkt 5 of each year a payment is booked in (the
        -- parameters of the latest year up to it), once per year instead of once per payment
        thresholds AS MATERIALIZED (
            SELECT y.year, (SELECT pp.interest_threshold FROM payments_paymentparameters AS pp
                            WHERE pp.year <= y.year ORDER BY pp.year DESC LIMIT 1) AS thr
            FROM (SELECT DISTINCT extract(year FROM p.booked_on)::integer AS year
                  FROM payments_payment AS p
                  WHERE p.municipality_id = mun AND p.status = 'matched') AS y
        ),
        pay AS (
            SELECT DISTINCT ON (p.taxpayer_id)
                   p.id, p.taxpayer_id, p.municipality_id, p.booked_on, p.amount,
                   p.named_number, p.named_year
            FROM payments_payment AS p
            WHERE p.municipality_id = mun AND p.status = 'matched'
            ORDER BY p.taxpayer_id, p.booked_on, p.id
        ),
        pay2 AS MATERIALIZED (
            SELECT pay.*,
                   nextval('payments_event_seq') AS aseq,
                   (SELECT c.id FROM payments_charge AS c
                    WHERE c.taxpayer_id = pay.taxpayer_id AND c.kind = 'instalment'
                      AND c.number = pay.named_number AND c.year = pay.named_year
                      AND (c.principal_open > 0 OR c.interest_open > 0)
                    ORDER BY c.id LIMIT 1) AS named_id,
                   coalesce(th.thr, 0) AS thr
            FROM pay
            LEFT JOIN thresholds AS th ON th.year = extract(year FROM pay.booked_on)::integer
        ),
        -- MATERIALIZED: the interest is computed once per charge and payment, not once per
        -- reference below (the planner inlined it nine times)
        acc AS MATERIALIZED (
            SELECT c.id, c.kind, c.due_date, c.number, c.principal_open AS z,
                   c.interest_open AS io, c.accrued_to,
                   p.id AS payment_id, p.booked_on, p.amount AS w, p.aseq, p.named_id,
                   p.taxpayer_id, p.municipality_id,
                   CASE WHEN c.kind = 'instalment' AND c.principal_open > 0
                             AND p.booked_on > c.accrued_to
                        THEN round(c.principal_open * (
                            -- payments_rate_days(c.accrued_to, p.booked_on), inlined
                            SELECT coalesce(sum(r.annual_percent
                                                * (least(p.booked_on, r.valid_to)
                                                   - greatest(c.accrued_to + 1, r.valid_from)
                                                   + 1)), 0)
                            FROM rates AS r
                            WHERE r.valid_from <= p.booked_on
                              AND r.valid_to >= c.accrued_to + 1) / 36500, 0)
                        ELSE 0 END AS raw_interest,
                   p.thr
            FROM pay2 AS p
            JOIN payments_charge AS c ON c.taxpayer_id = p.taxpayer_id
            WHERE c.principal_open > 0 OR c.interest_open > 0
        ),
        ord AS (
            SELECT a.*, a.io + a.accrued AS oi,
                   row_number() OVER w AS rk,
                   coalesce(sum(a.need) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING
                                              AND 1 PRECEDING), 0) AS before
            FROM (
                SELECT acc.*,
                       CASE WHEN acc.raw_interest <= acc.thr THEN 0
                            ELSE acc.raw_interest END AS accrued,
                       CASE WHEN acc.kind = 'reminder_cost' THEN acc.z
                            ELSE acc.io + acc.z
                                 + CASE WHEN acc.raw_interest <= acc.thr THEN 0
                                        ELSE acc.raw_interest END END AS need
                FROM acc
            ) AS a
            WINDOW w AS (PARTITION BY a.payment_id
                         ORDER BY (a.kind <> 'reminder_cost'), (a.id IS DISTINCT FROM a.named_id),
                                  a.due_date, a.number, a.id)
        ),
        split AS (
            SELECT s.*,
                   CASE WHEN s.kind = 'reminder_cost' THEN 0
                        WHEN s.take = s.need THEN s.oi
                        ELSE round(s.take * s.oi / s.need, 2) END AS pi
            FROM (SELECT o.*, least(o.need, greatest(o.w - o.before, 0)) AS take FROM ord AS o)
                AS s
            WHERE s.take > 0
        ),
        steps AS (
            SELECT s.municipality_id, s.taxpayer_id, s.payment_id, s.id AS charge_id,
                   s.booked_on, v.kind, v.amount, s.aseq * 10000 + s.rk * 4 + v.ord AS seq
            FROM split AS s
            CROSS JOIN LATERAL (VALUES
                ('interest_accrued', s.accrued, 0),
                ('paid_interest', s.pi, 1),
                ('paid_principal', CASE WHEN s.kind = 'instalment' THEN s.take - s.pi END, 2),
                ('paid_cost', CASE WHEN s.kind = 'reminder_cost' THEN s.take END, 3)
            ) AS v (kind, amount, ord)
            WHERE v.amount > 0
        ),
        taken AS (
            SELECT s.payment_id, sum(s.take) AS took FROM split AS s GROUP BY s.payment_id
        ),
        over AS (
            SELECT p.*, p.amount - coalesce(t.took, 0) AS left_over
            FROM pay2 AS p
            LEFT JOIN taken AS t ON t.payment_id = p.id
        ),
        upd_charge AS (
            UPDATE payments_charge AS c
            SET principal_open = c.principal_open - (s.take - s.pi),
                interest_open = CASE WHEN s.kind = 'reminder_cost' THEN c.interest_open
                                     ELSE s.oi - s.pi END,
                accrued_to = CASE WHEN s.kind = 'reminder_cost' THEN c.accrued_to
                                  ELSE greatest(c.accrued_to, s.booked_on) END
            FROM split AS s
            WHERE c.id = s.id
            RETURNING c.id
        ),
        ins AS (
            INSERT INTO payments_ledgerentry
                (municipality_id, taxpayer_id, payment_id, charge_id, on_date, kind, amount, seq)
            SELECT municipality_id, taxpayer_id, payment_id, charge_id, booked_on, kind, amount,
                   seq
            FROM steps
            UNION ALL
            SELECT municipality_id, taxpayer_id, id, NULL, booked_on, 'overpayment', left_over,
                   aseq * 10000 + 9999
            FROM over
            WHERE left_over > 0
            RETURNING 1
        ),
        upd_pay AS (
            UPDATE payments_payment AS p
            SET status = 'allocated', allocated_seq = o.aseq, named_charge_id = o.named_id
            FROM pay2 AS o
            WHERE p.id = o.id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM upd_pay) + 0 * (SELECT count(*) FROM upd_charge)
               + 0 * (SELECT count(*) FROM ins)
        INTO n;
        EXIT WHEN n = 0;
        total := total + n;
    END LOOP;
    RETURN total;
END $$;
