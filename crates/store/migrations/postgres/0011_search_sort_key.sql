-- Each search term carries its customer's sort key (the folded name), so a page of a
-- search in name order is read from the term index alone: no customer row is visited
-- for a match that is not on the page, however many match (docs/benchmarks.md, Customers).
ALTER TABLE customer_search_terms ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';

-- The owner fills the new column for every tenant: row-level security is lifted for this
-- transaction only, and forced again before it commits.
ALTER TABLE customers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_search_terms NO FORCE ROW LEVEL SECURITY;
UPDATE customer_search_terms t SET name_key = c.name_key
FROM customers c WHERE c.tenant_id = t.tenant_id AND c.id = t.customer_id;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_search_terms FORCE ROW LEVEL SECURITY;

ALTER TABLE customer_search_terms ALTER COLUMN name_key DROP DEFAULT;
ALTER TABLE customer_search_terms DROP CONSTRAINT customer_search_terms_pkey;
ALTER TABLE customer_search_terms ADD PRIMARY KEY (tenant_id, term, name_key, customer_id);
