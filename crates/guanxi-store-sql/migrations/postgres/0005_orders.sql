-- Sales: the product catalogue, and orders with their lines (behavioural data, 行为数据).
-- Amounts are integer minor units (fen) with the order's currency.

CREATE TABLE products (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    sku         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    unit_price  BIGINT NOT NULL,
    currency    TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (org_id, sku)
);

CREATE TABLE orders (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    customer_id  BIGINT NOT NULL REFERENCES customers(id),
    external_id  TEXT,
    status       TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    total        BIGINT NOT NULL,
    placed_at    BIGINT NOT NULL,
    paid_at      BIGINT,
    owner_id     BIGINT REFERENCES users(id),
    note         TEXT,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- An external order id posted twice is one order.
CREATE UNIQUE INDEX orders_external ON orders (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX orders_customer ON orders (customer_id, placed_at DESC, id DESC);
CREATE INDEX orders_org_placed ON orders (org_id, placed_at, id);

CREATE TABLE order_lines (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    position     BIGINT NOT NULL,
    product_id   BIGINT REFERENCES products(id),
    description  TEXT    NOT NULL,
    quantity     BIGINT NOT NULL,
    unit_price   BIGINT NOT NULL,
    discount     BIGINT NOT NULL,
    line_total   BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id, position);
CREATE INDEX order_lines_product ON order_lines (org_id, product_id) WHERE product_id IS NOT NULL;
