-- A customer's search terms are listed on its own row (`search_terms`: each term after a
-- newline), and the term table loses its second index and its foreign key. That index
-- held every term row a second time, in customer order, only so that a customer's terms
-- could be found to delete them and so that a second typed word could be checked per
-- customer; both now read the list on the customer row, and terms are deleted by their
-- primary key. A create and an imported row write seven index entries fewer
-- (docs/benchmarks.md, Customers, 2026-12-03).
ALTER TABLE customers ADD COLUMN search_terms TEXT NOT NULL DEFAULT '';

UPDATE customers SET search_terms = COALESCE(
    (SELECT group_concat(char(10) || t.term, '') FROM customer_search_terms t
     WHERE t.tenant_id = customers.tenant_id AND t.customer_id = customers.id), '');

-- SQLite cannot drop a foreign key in place: the table is rebuilt.
CREATE TABLE customer_search_terms_listed (
    tenant_id BLOB NOT NULL,
    term TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    name_key TEXT NOT NULL,
    PRIMARY KEY (tenant_id, term, name_key, customer_id)
) STRICT, WITHOUT ROWID;

INSERT INTO customer_search_terms_listed (tenant_id, term, customer_id, name_key)
SELECT tenant_id, term, customer_id, name_key FROM customer_search_terms ORDER BY tenant_id, term, name_key, customer_id;

DROP TABLE customer_search_terms;
ALTER TABLE customer_search_terms_listed RENAME TO customer_search_terms;
