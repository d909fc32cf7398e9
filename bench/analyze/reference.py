#!/usr/bin/env python3
"""The Python references of the customer-value benchmark (issue 7): what analysts run today.

One stack per process, so that the peak memory reported is that stack's own:

    reference.py --csv transactions.csv --end 2024-12-31 --only lifetimes
    reference.py --csv transactions.csv --end 2024-12-31 --only pandas
    reference.py --csv transactions.csv --end 2024-12-31 --only duckdb

The CSV has the header `customer_id,date,amount` (date YYYY-MM-DD, amount in yuan), as written
by `cargo run -p guanxi-analytics --example generate`. Prints one JSON object on stdout: the
seconds of each stage, the results to compare with Guanxi's, the peak resident memory
(`ru_maxrss`) and the versions used. Times are wall-clock (`time.perf_counter`).

lifetimes: read_csv (with the dates parsed), summary_data_from_transaction_data (freq 'D', the
amount as monetary value, observation_period_end = --end), BetaGeoFitter(penalizer_coef=0).fit,
GammaGammaFitter(penalizer_coef=0).fit on the customers with repeat purchases and a positive
monetary value, customer_lifetime_value for every customer (12 months, 1 % a month, freq 'D'),
and, timed apart, the other scores of every customer: probability alive, expected purchases in
the next 90/180/365 days and expected average spend. Time is in days. The log-likelihoods are
lifetimes' own per-customer formulas summed over the customers, with the unscaled times (the
fitter minimises a mean over times scaled to a maximum of 10, which shifts it by a constant).

pandas: RFM as usually written in pandas: recency = days from the last purchase to --end,
frequency = number of orders (rows), monetary = sum of the amounts, per customer; quintile
scores 1-5 by `pd.qcut(x.rank(method="first"), 5, labels=...)`: ranking first breaks ties by
order of appearance, here the customer id (groupby sorts by it), so that qcut gets distinct
edges. R is 5 for the most recent. Reading (with the dates parsed) and computing are timed apart.

duckdb: the same RFM in SQL: the CSV loaded into a table with read_csv_auto, then one query with
NTILE(5), ties broken by the customer id as in pandas, materialised as a table; load and query
timed apart. DuckDB uses all cores (its default); pandas and lifetimes one.

The result checks (`check`) are the same in the pandas and DuckDB outputs, so that they can be
compared with each other and with Guanxi's: sums of R, F, M and of 100R+10F+M, and the number
of customers in cells 555 and 111.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings


def peak_rss_mb():
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Clock:
    def __init__(self):
        self.seconds = {}

    def stage(self, name, f):
        t = time.perf_counter()
        out = f()
        self.seconds[name] = round(time.perf_counter() - t, 4)
        return out


def run_lifetimes(csv, end):
    import numpy as np
    import pandas as pd
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    clock = Clock()
    df = clock.stage("read_csv", lambda: pd.read_csv(csv, parse_dates=["date"]))
    summary = clock.stage(
        "summary",
        lambda: summary_data_from_transaction_data(
            df,
            "customer_id",
            "date",
            monetary_value_col="amount",
            observation_period_end=end,
            freq="D",
        ),
    )
    x = summary["frequency"]
    t_x = summary["recency"]
    T = summary["T"]
    m = summary["monetary_value"]
    bgf = clock.stage(
        "bgnbd_fit", lambda: BetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T)
    )
    repeat = summary[(x > 0) & (m > 0)]
    ggf = clock.stage(
        "gamma_gamma_fit",
        lambda: GammaGammaFitter(penalizer_coef=0.0).fit(
            repeat["frequency"], repeat["monetary_value"]
        ),
    )
    clv = clock.stage(
        "clv",
        lambda: ggf.customer_lifetime_value(
            bgf, x, t_x, T, m, time=12, discount_rate=0.01, freq="D"
        ),
    )

    def scores():
        out = pd.DataFrame(index=summary.index)
        out["p_alive"] = bgf.conditional_probability_alive(x, t_x, T)
        for days in (90, 180, 365):
            out[f"purchases_{days}"] = bgf.conditional_expected_number_of_purchases_up_to_time(
                days, x, t_x, T
            )
        out["spend"] = ggf.conditional_expected_average_profit(x, m)
        return out

    other = clock.stage("scores", scores)
    clock.seconds["total"] = round(sum(clock.seconds.values()), 4)
    clock.seconds["pipeline"] = round(
        sum(
            clock.seconds[k]
            for k in ("summary", "bgnbd_fit", "gamma_gamma_fit", "clv", "scores")
        ),
        4,
    )

    bg = {k: float(v) for k, v in bgf.params_.items()}
    gg = {k: float(v) for k, v in ggf.params_.items()}
    xs = np.asarray(x, dtype=float)
    bg_ll = -BetaGeoFitter._negative_log_likelihood(
        np.log(np.array([bg["r"], bg["alpha"], bg["a"], bg["b"]])),
        xs,
        np.asarray(t_x, dtype=float),
        np.asarray(T, dtype=float),
        np.ones_like(xs),
        0.0,
    ) * len(xs)
    rx = np.asarray(repeat["frequency"], dtype=float)
    gg_ll = -GammaGammaFitter._negative_log_likelihood(
        np.log(np.array([gg["p"], gg["q"], gg["v"]])),
        rx,
        np.asarray(repeat["monetary_value"], dtype=float),
        np.ones_like(rx),
        0.0,
    ) * len(rx)
    return {
        "stack": "lifetimes",
        "seconds": clock.seconds,
        "orders": int(len(df)),
        "customers": int(len(summary)),
        "repeat_customers": int(len(repeat)),
        "bgnbd": {**bg, "log_likelihood": float(bg_ll)},
        "gamma_gamma": {**gg, "log_likelihood": float(gg_ll)},
        "check": {
            "sum_frequency": float(xs.sum()),
            "sum_recency": float(np.asarray(t_x).sum()),
            "sum_T": float(np.asarray(T).sum()),
            "clv_sum": float(clv.sum()),
            "clv_mean": float(clv.mean()),
            "p_alive_mean": float(other["p_alive"].mean()),
            "purchases_365_sum": float(other["purchases_365"].sum()),
            "spend_mean": float(other["spend"].mean()),
        },
        "versions": {
            "lifetimes": lifetimes.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        },
    }


def rfm_check(rec, freq, mon, r, f, m):
    cell = 100 * r + 10 * f + m
    return {
        "customers": int(len(rec)),
        "sum_recency": float(rec.sum()),
        "sum_frequency": float(freq.sum()),
        "sum_monetary": round(float(mon.sum()), 2),
        "sum_r": int(r.sum()),
        "sum_f": int(f.sum()),
        "sum_m": int(m.sum()),
        "sum_cell": int(cell.sum()),
        "cell_555": int((cell == 555).sum()),
        "cell_111": int((cell == 111).sum()),
    }


def run_pandas(csv, end):
    import numpy as np
    import pandas as pd

    clock = Clock()
    df = clock.stage("read_csv", lambda: pd.read_csv(csv, parse_dates=["date"]))
    end_ts = pd.Timestamp(end)

    def rfm():
        g = df.groupby("customer_id").agg(
            last=("date", "max"), frequency=("date", "size"), monetary=("amount", "sum")
        )
        g["recency"] = (end_ts - g["last"]).dt.days
        g["r"] = pd.qcut(g["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
        g["f"] = pd.qcut(g["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        g["m"] = pd.qcut(g["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        return g

    g = clock.stage("rfm", rfm)
    clock.seconds["total"] = round(sum(clock.seconds.values()), 4)
    return {
        "stack": "pandas",
        "seconds": clock.seconds,
        "orders": int(len(df)),
        "check": rfm_check(
            g["recency"], g["frequency"], g["monetary"], g["r"], g["f"], g["m"]
        ),
        "scores": "pd.qcut(x.rank(method='first'), 5): ties by customer id",
        "versions": {"pandas": pd.__version__, "numpy": np.__version__},
    }


def run_duckdb(csv, end):
    import duckdb

    con = duckdb.connect()
    clock = Clock()
    clock.stage(
        "load",
        lambda: con.execute(
            "CREATE TABLE orders AS SELECT * FROM read_csv_auto(?)", [csv]
        ),
    )
    query = """
        CREATE TABLE rfm AS
        WITH c AS (
            SELECT customer_id,
                   DATE '{end}' - max(date) AS recency,
                   count(*) AS frequency,
                   sum(amount) AS monetary
            FROM orders GROUP BY customer_id
        )
        SELECT customer_id, recency, frequency, monetary,
               NTILE(5) OVER (ORDER BY recency DESC, customer_id DESC) AS r,
               NTILE(5) OVER (ORDER BY frequency, customer_id) AS f,
               NTILE(5) OVER (ORDER BY monetary, customer_id) AS m
        FROM c
    """.format(end=end)
    clock.stage("rfm", lambda: con.execute(query))
    clock.seconds["total"] = round(sum(clock.seconds.values()), 4)
    orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    row = con.execute(
        """SELECT count(*), sum(recency), sum(frequency), round(sum(monetary), 2),
                  sum(r), sum(f), sum(m), sum(100*r + 10*f + m),
                  count(*) FILTER (WHERE r = 5 AND f = 5 AND m = 5),
                  count(*) FILTER (WHERE r = 1 AND f = 1 AND m = 1)
           FROM rfm"""
    ).fetchone()
    keys = [
        "customers", "sum_recency", "sum_frequency", "sum_monetary", "sum_r", "sum_f",
        "sum_m", "sum_cell", "cell_555", "cell_111",
    ]
    check = {k: (float(v) if k in ("sum_recency", "sum_frequency", "sum_monetary") else int(v))
             for k, v in zip(keys, row)}
    types = con.execute("DESCRIBE orders").fetchall()
    return {
        "stack": "duckdb",
        "seconds": clock.seconds,
        "orders": int(orders),
        "check": check,
        "column_types": {t[0]: t[1] for t in types},
        "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0]),
        "scores": "NTILE(5) ordered by the value, ties by customer id",
        "versions": {"duckdb": duckdb.__version__},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", required=True, help="customer_id,date,amount")
    ap.add_argument("--end", required=True, help="observation end, YYYY-MM-DD")
    ap.add_argument("--only", required=True, choices=["lifetimes", "pandas", "duckdb"])
    args = ap.parse_args()
    csv = os.path.abspath(args.csv)
    warnings.simplefilter("ignore")
    run = {"lifetimes": run_lifetimes, "pandas": run_pandas, "duckdb": run_duckdb}[args.only]
    out = run(csv, args.end)
    out["csv"] = csv
    out["end"] = args.end
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["python"] = platform.python_version()
    out["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
