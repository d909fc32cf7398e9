-- Sales: the product catalogue, and orders with their lines (behavioural data, 行为数据).
-- Amounts are integer minor units (fen) with the order's currency.

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    sku         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    unit_price  INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    active      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, sku)
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    external_id  TEXT,
    status       TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    total        INTEGER NOT NULL,
    placed_at    INTEGER NOT NULL,
    paid_at      INTEGER,
    owner_id     INTEGER REFERENCES users(id),
    note         TEXT,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
-- An external order id posted twice is one order.
CREATE UNIQUE INDEX orders_external ON orders (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orders_customer ON orders (customer_id, placed_at DESC, id DESC);
CREATE INDEX orders_org_placed ON orders (org_id, placed_at, id);

CREATE TABLE order_lines (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL,
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    position     INTEGER NOT NULL,
    product_id   INTEGER REFERENCES products(id),
    description  TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    unit_price   INTEGER NOT NULL,
    discount     INTEGER NOT NULL,
    line_total   INTEGER NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id, position);
CREATE INDEX order_lines_product ON order_lines (org_id, product_id) WHERE product_id IS NOT NULL;
