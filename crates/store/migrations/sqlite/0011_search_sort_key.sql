-- Each search term carries its customer's sort key (the folded name), so a page of a
-- search in name order is read from the term index alone: no customer row is visited
-- for a match that is not on the page, however many match (docs/benchmarks.md, Customers).
-- SQLite cannot change a primary key in place: the table is rebuilt.
CREATE TABLE customer_search_terms_sorted (
    tenant_id BLOB NOT NULL,
    term TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    name_key TEXT NOT NULL,
    PRIMARY KEY (tenant_id, term, name_key, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO customer_search_terms_sorted (tenant_id, term, customer_id, name_key)
SELECT t.tenant_id, t.term, t.customer_id, c.name_key
FROM customer_search_terms t JOIN customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id;

DROP TABLE customer_search_terms;
ALTER TABLE customer_search_terms_sorted RENAME TO customer_search_terms;
CREATE INDEX customer_search_terms_by_customer ON customer_search_terms (tenant_id, customer_id);
