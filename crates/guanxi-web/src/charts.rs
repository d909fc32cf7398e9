//! Small charts drawn on the server as inline SVG (no script, no CDN): bars, a funnel, a line
//! over bars, the Lorenz curve, a heat grid. Every number that reaches the markup goes through
//! [`finite`], so a chart never shows NaN or draws off its box; empty data draws an empty frame
//! with its caption. Each chart is an `img` to assistive technology, named by its caption; the
//! tables beside the charts carry the numbers.

use maud::{html, Markup};

/// Width and height of the drawing area (the SVG scales to its container).
const W: f64 = 600.0;
const H: f64 = 240.0;
/// Room for labels below and left of the plot.
const BOTTOM: f64 = 36.0;
const LEFT: f64 = 28.0;

/// `x`, or 0 when it is not a finite number.
pub fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// `part / total` between 0 and 1; 0 when there is nothing to share.
pub fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 && part.is_finite() && total.is_finite() {
        (part / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// A share (0–1) as a percentage with one decimal, or `—` when there is none.
pub fn percent(x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(x) => format!("{:.1}%", x * 100.0),
        None => "—".to_owned(),
    }
}

/// A number with `places` decimals, or `—`.
pub fn decimal(x: Option<f64>, places: usize) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(x) => format!("{x:.places$}"),
        None => "—".to_owned(),
    }
}

/// A model parameter to four significant digits, or `—`.
pub fn significant(x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(x) => {
            if x == 0.0 {
                return "0".to_owned();
            }
            let magnitude = finite(x.abs().log10().floor());
            let places = (3.0 - magnitude).clamp(0.0, 12.0) as usize;
            format!("{x:.places$}")
        }
        None => "—".to_owned(),
    }
}

/// A coordinate for the markup.
fn c(x: f64) -> String {
    format!("{:.1}", finite(x))
}

/// The fill for a share 0–1: from a pale blue to the accent colour.
pub fn heat(frac: f64) -> String {
    let t = finite(frac).clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(238.0, 11.0),
        mix(244.0, 92.0),
        mix(251.0, 173.0)
    )
}

/// Text colour that reads on [`heat`]`(frac)`.
pub fn ink(frac: f64) -> &'static str {
    if finite(frac) > 0.55 {
        "#fff"
    } else {
        "#1f2328"
    }
}

/// One bar: its label under (or beside) it, its value, the tooltip, and where a click goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The tooltip (the number in words).
    pub title: String,
    pub href: Option<String>,
}

/// A mark, made a link when it has somewhere to go.
fn linked(href: Option<&str>, inner: Markup) -> Markup {
    html! {
        @if let Some(h) = href { a href=(h) { (inner) } } @else { (inner) }
    }
}

fn frame(caption: &str, height: f64, body: Markup) -> Markup {
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (c(W)) " " (c(height))}
            role="img" aria-label=(caption) preserveAspectRatio="xMidYMid meet" {
            title { (caption) }
            (body)
        }
    }
}

/// Vertical bars, the tallest filling the height.
pub fn bars(caption: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| finite(b.value)).fold(0.0, f64::max);
    let n = bars.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let plot = H - BOTTOM;
    frame(
        caption,
        H,
        html! {
            line x1=(c(LEFT)) y1=(c(plot)) x2=(c(W)) y2=(c(plot)) stroke="#d1d9e0" {}
            @for (i, b) in bars.iter().enumerate() {
                @let h = share(finite(b.value).max(0.0), max) * (plot - 16.0);
                @let x = LEFT + slot * i as f64;
                (linked(b.href.as_deref(), html! {
                    g.bar {
                        title { (b.title) }
                        rect x=(c(x + slot * 0.15)) y=(c(plot - h)) width=(c(slot * 0.7)) height=(c(h)) fill="#0b5cad" {}
                        text x=(c(x + slot / 2.0)) y=(c(plot - h - 4.0)) text-anchor="middle" font-size="12" { (b.title) }
                    }
                }))
                text x=(c(x + slot / 2.0)) y=(c(plot + 16.0)) text-anchor="middle" font-size="12" fill="#59636e" { (b.label) }
            }
        },
    )
}

/// Horizontal bars, one a row; `funnel` centres them (the lifecycle funnel).
pub fn hbars(caption: &str, bars: &[Bar], funnel: bool) -> Markup {
    let max = bars.iter().map(|b| finite(b.value)).fold(0.0, f64::max);
    let row = 30.0;
    let label_w = 150.0;
    let height = (bars.len().max(1) as f64) * row + 8.0;
    // Room on the right for the bar's number in words.
    let room = W - label_w - 170.0;
    frame(
        caption,
        height,
        html! {
            @for (i, b) in bars.iter().enumerate() {
                @let w = share(finite(b.value).max(0.0), max) * room;
                @let y = 4.0 + row * i as f64;
                @let x = if funnel { label_w + (room - w) / 2.0 } else { label_w };
                text x=(c(label_w - 8.0)) y=(c(y + row * 0.6)) text-anchor="end" font-size="12" fill="#59636e" { (b.label) }
                (linked(b.href.as_deref(), html! {
                    g.bar {
                        title { (b.title) }
                        rect x=(c(x)) y=(c(y + 3.0)) width=(c(w.max(1.0))) height=(c(row - 8.0)) fill="#0b5cad" {}
                        text x=(c(x + w + 6.0)) y=(c(y + row * 0.6)) font-size="12" { (b.title) }
                    }
                }))
            }
        },
    )
}

/// One month: its label, revenue (bars) and buying customers (the line).
#[derive(Clone, Debug, PartialEq)]
pub struct MonthPoint {
    pub label: String,
    pub revenue: f64,
    pub customers: f64,
    pub title: String,
}

/// Revenue as bars and buying customers as a line, each on its own scale; a label every few
/// months so that they do not overlap.
pub fn months(caption: &str, points: &[MonthPoint]) -> Markup {
    let max_r = points.iter().map(|p| finite(p.revenue)).fold(0.0, f64::max);
    let max_c = points
        .iter()
        .map(|p| finite(p.customers))
        .fold(0.0, f64::max);
    let n = points.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let plot = H - BOTTOM;
    let every = points.len().div_ceil(8).max(1);
    let y_of = |v: f64, max: f64| plot - share(finite(v).max(0.0), max) * (plot - 12.0);
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{},{}",
                c(LEFT + slot * (i as f64 + 0.5)),
                c(y_of(p.customers, max_c))
            )
        })
        .collect();
    frame(
        caption,
        H,
        html! {
            line x1=(c(LEFT)) y1=(c(plot)) x2=(c(W)) y2=(c(plot)) stroke="#d1d9e0" {}
            @for (i, p) in points.iter().enumerate() {
                @let x = LEFT + slot * i as f64;
                @let y = y_of(p.revenue, max_r);
                g.bar {
                    title { (p.title) }
                    rect x=(c(x + slot * 0.1)) y=(c(y)) width=(c(slot * 0.8)) height=(c(plot - y)) fill="#9ec5ee" {}
                }
                @if i % every == 0 {
                    text x=(c(x + slot / 2.0)) y=(c(plot + 16.0)) text-anchor="middle" font-size="11" fill="#59636e" { (p.label) }
                }
            }
            @if points.len() > 1 {
                polyline points=(line.join(" ")) fill="none" stroke="#b42318" stroke-width="2" {}
            }
        },
    )
}

/// The Lorenz curve: share of customers (poorest first) → share of revenue, over the diagonal
/// of perfect equality.
pub fn lorenz(caption: &str, points: &[(f64, f64)]) -> Markup {
    let size = H - 20.0;
    let x0 = (W - size) / 2.0;
    let at = |x: f64, y: f64| {
        format!(
            "{},{}",
            c(x0 + finite(x).clamp(0.0, 1.0) * size),
            c(10.0 + size - finite(y).clamp(0.0, 1.0) * size)
        )
    };
    let curve: Vec<String> = points.iter().map(|(x, y)| at(*x, *y)).collect();
    frame(
        caption,
        H,
        html! {
            rect x=(c(x0)) y="10" width=(c(size)) height=(c(size)) fill="none" stroke="#d1d9e0" {}
            polyline points={(at(0.0, 0.0)) " " (at(1.0, 1.0))} fill="none" stroke="#59636e" stroke-dasharray="4 4" {}
            @if curve.len() > 1 {
                polyline points=(curve.join(" ")) fill="none" stroke="#0b5cad" stroke-width="2.5" {}
            }
        },
    )
}

/// One cell of a heat grid: its share of the largest (0–1) for the colour, its text, tooltip
/// and link.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub heat: f64,
    pub text: String,
    pub title: String,
    pub href: Option<String>,
}

/// A grid of cells with row labels on the left and column labels on top; `None` cells are left
/// blank (a cohort's months still to come).
pub fn grid(
    caption: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Option<Cell>>],
) -> Markup {
    let label_w = 70.0;
    let top = 20.0;
    let cols = columns.len().max(1) as f64;
    let cw = ((W - label_w) / cols).min(80.0);
    let rh = if rows.len() > 12 { 18.0 } else { 36.0 };
    let height = top + rh * rows.len().max(1) as f64 + 4.0;
    let font = if cw < 30.0 || rh < 20.0 { "9" } else { "12" };
    frame(
        caption,
        height,
        html! {
            @for (j, name) in columns.iter().enumerate() {
                text x=(c(label_w + cw * (j as f64 + 0.5))) y="14" text-anchor="middle" font-size="11" fill="#59636e" { (name) }
            }
            @for (i, name) in rows.iter().enumerate() {
                @let y = top + rh * i as f64;
                text x=(c(label_w - 6.0)) y=(c(y + rh * 0.65)) text-anchor="end" font-size="11" fill="#59636e" { (name) }
                @for (j, cell) in cells.get(i).map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
                    @if let Some(cell) = cell {
                        @let x = label_w + cw * j as f64;
                        (linked(cell.href.as_deref(), html! {
                            g.cell {
                                title { (cell.title) }
                                rect x=(c(x + 1.0)) y=(c(y + 1.0)) width=(c(cw - 2.0)) height=(c(rh - 2.0)) fill=(heat(cell.heat)) {}
                                text x=(c(x + cw / 2.0)) y=(c(y + rh * 0.65)) text-anchor="middle" font-size=(font) fill=(ink(cell.heat)) { (cell.text) }
                            }
                        }))
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(v: f64) -> Bar {
        Bar {
            label: "A".into(),
            value: v,
            title: "1".into(),
            href: Some("/customers?tier=A".into()),
        }
    }

    #[test]
    fn numbers_never_read_nan() {
        assert_eq!(percent(Some(f64::NAN)), "—");
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Some(0.1234)), "12.3%");
        assert_eq!(decimal(Some(f64::INFINITY), 2), "—");
        assert_eq!(decimal(Some(1.005), 1), "1.0");
        assert_eq!(significant(Some(0.24293)), "0.2429");
        assert_eq!(significant(Some(4.4136)), "4.414");
        assert_eq!(significant(Some(-9582.43)), "-9582");
        assert_eq!(significant(Some(0.0)), "0");
        assert_eq!(significant(Some(f64::NAN)), "—");
        assert_eq!(share(1.0, 0.0), 0.0);
        assert_eq!(share(f64::NAN, 2.0), 0.0);
        assert_eq!(share(1.0, 4.0), 0.25);
        assert_eq!(heat(f64::NAN), heat(0.0));
        assert_eq!(heat(2.0), "#0b5cad");
        assert_eq!(heat(0.0), "#eef4fb");
    }

    #[test]
    fn charts_of_nothing_or_nonsense_draw_no_nan() {
        let charts = [
            bars("empty", &[]),
            bars("zeros", &[bar(0.0), bar(0.0)]),
            bars(
                "nan",
                &[bar(f64::NAN), bar(f64::INFINITY), bar(-3.0), bar(2.0)],
            ),
            hbars("empty", &[], true),
            hbars("nan", &[bar(f64::NAN), bar(5.0)], true),
            months("empty", &[]),
            months(
                "one",
                &[MonthPoint {
                    label: "2025-01".into(),
                    revenue: f64::NAN,
                    customers: 0.0,
                    title: "x".into(),
                }],
            ),
            lorenz("empty", &[]),
            lorenz("nan", &[(0.0, 0.0), (f64::NAN, 0.5), (1.0, 1.0)]),
            grid("empty", &[], &[], &[]),
            grid(
                "nan",
                &["1".into()],
                &["1".into(), "2".into()],
                &[vec![
                    Some(Cell {
                        heat: f64::NAN,
                        text: "—".into(),
                        title: "t".into(),
                        href: None,
                    }),
                    None,
                ]],
            ),
        ];
        for chart in charts {
            let s = chart.into_string();
            assert!(s.starts_with("<svg"), "{s}");
            assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        }
    }

    #[test]
    fn bars_link_to_their_customers_and_scale_to_the_tallest() {
        let s = bars("tiers", &[bar(10.0), bar(5.0)]).into_string();
        assert!(s.contains(r#"<a href="/customers?tier=A">"#), "{s}");
        assert!(s.contains(r#"aria-label="tiers""#));
        // The tallest bar fills the plot (240 - 36 - 16), the other half of it.
        assert!(
            s.contains(r#"height="188.0""#) && s.contains(r#"height="94.0""#),
            "{s}"
        );
    }
}
