//! The consistency conditions checked after a run (TPC-C clause 3.3.2, conditions 1–4 and a
//! history one), by queries any engine answers: the sums are taken by the client.

use super::client::{ClientError, ClientResult, SqlClient, double_at, int_at};
use super::input::Scale;
use super::load::{INITIAL_PAYMENT, WAREHOUSE_YTD};
use crate::schema::Value;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.005 + 1e-9 * a.abs().max(b.abs())
}

fn max_of(c: &mut impl SqlClient, sql: &str, w: i64, d: i64) -> ClientResult<i64> {
    let rows = c.query(sql, &[Value::Int(w), Value::Int(d)])?;
    rows.first().map_or(Ok(0), |r| int_at(r, 0, sql))
}

/// Checks every condition; returns each violation as a sentence naming the warehouse and
/// district (empty: consistent). Reads in one transaction.
pub fn check(c: &mut impl SqlClient, scale: Scale) -> ClientResult<Vec<String>> {
    c.begin()?;
    let out = check_in(c, scale);
    c.rollback();
    out
}

fn check_in(c: &mut impl SqlClient, scale: Scale) -> ClientResult<Vec<String>> {
    let mut bad = Vec::new();
    let history = c.query("SELECT h_w_id, h_amount FROM history", &[])?;
    for w in 1..=scale.warehouses as i64 {
        let wh = c.query(
            "SELECT w_ytd FROM warehouse WHERE w_id = ?",
            &[Value::Int(w)],
        )?;
        let w_ytd = match wh.first() {
            Some(r) => double_at(r, 0, "w_ytd")?,
            None => return Err(ClientError::fatal(format!("warehouse {w} is missing"))),
        };
        let districts = c.query(
            "SELECT d_id, d_ytd, d_next_o_id FROM district WHERE d_w_id = ? ORDER BY d_id",
            &[Value::Int(w)],
        )?;
        let mut d_sum = 0.0;
        for row in &districts {
            let d = int_at(row, 0, "d_id")?;
            d_sum += double_at(row, 1, "d_ytd")?;
            let next = int_at(row, 2, "d_next_o_id")?;
            let max_o = max_of(
                c,
                "SELECT o_id FROM orders WHERE o_w_id = ? AND o_d_id = ? ORDER BY o_id DESC LIMIT 1",
                w,
                d,
            )?;
            let max_no = max_of(
                c,
                "SELECT no_o_id FROM new_order WHERE no_w_id = ? AND no_d_id = ? ORDER BY no_o_id DESC LIMIT 1",
                w,
                d,
            )?;
            if next - 1 != max_o || max_o != max_no {
                bad.push(format!(
                    "warehouse {w} district {d}: d_next_o_id - 1 = {}, max(o_id) = {max_o}, max(no_o_id) = {max_no}",
                    next - 1
                ));
            }
            let key = [Value::Int(w), Value::Int(d)];
            let lines: i64 = c
                .query(
                    "SELECT o_ol_cnt FROM orders WHERE o_w_id = ? AND o_d_id = ?",
                    &key,
                )?
                .iter()
                .map(|r| int_at(r, 0, "o_ol_cnt"))
                .sum::<ClientResult<i64>>()?;
            let rows = c
                .query(
                    "SELECT ol_number FROM order_line WHERE ol_w_id = ? AND ol_d_id = ?",
                    &key,
                )?
                .len() as i64;
            if lines != rows {
                bad.push(format!(
                    "warehouse {w} district {d}: sum(o_ol_cnt) = {lines} but order_line has {rows} rows"
                ));
            }
        }
        if districts.len() as u64 != scale.districts {
            bad.push(format!(
                "warehouse {w}: {} districts, expected {}",
                districts.len(),
                scale.districts
            ));
        }
        if !close(w_ytd, d_sum) {
            bad.push(format!(
                "warehouse {w}: w_ytd = {w_ytd:.2} but sum(d_ytd) = {d_sum:.2}"
            ));
        }
        let mut paid = 0.0;
        for r in &history {
            if int_at(r, 0, "h_w_id")? == w {
                paid += double_at(r, 1, "h_amount")?;
            }
        }
        let loaded = INITIAL_PAYMENT * (scale.districts * scale.customers) as f64;
        if !close(paid - loaded, w_ytd - WAREHOUSE_YTD) {
            bad.push(format!(
                "warehouse {w}: payments in history = {:.2} but w_ytd grew by {:.2}",
                paid - loaded,
                w_ytd - WAREHOUSE_YTD
            ));
        }
    }
    Ok(bad)
}
