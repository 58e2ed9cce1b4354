-- A customer's search terms are listed on its own row (`search_terms`: each term after a
-- newline), and the term table loses its second index and its foreign key. That index
-- held every term row a second time, in customer order, only so that a customer's terms
-- could be found to delete them and so that a second typed word could be checked per
-- customer; both now read the list on the customer row, and terms are deleted by their
-- primary key. The foreign key's check ran once per term row: half of the time an import
-- spent on terms (docs/benchmarks.md, Customers, 2026-12-03).
ALTER TABLE customers ADD COLUMN search_terms TEXT NOT NULL DEFAULT '';

-- The owner fills the new column for every tenant: row-level security is lifted for this
-- transaction only, and forced again before it commits.
ALTER TABLE customers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_search_terms NO FORCE ROW LEVEL SECURITY;
UPDATE customers c SET search_terms = l.list
FROM (SELECT tenant_id, customer_id, string_agg(E'\n' || term, '') AS list
      FROM customer_search_terms GROUP BY tenant_id, customer_id) l
WHERE l.tenant_id = c.tenant_id AND l.customer_id = c.id;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_search_terms FORCE ROW LEVEL SECURITY;

ALTER TABLE customer_search_terms DROP CONSTRAINT customer_search_terms_tenant_id_customer_id_fkey;
DROP INDEX customer_search_terms_by_customer;
