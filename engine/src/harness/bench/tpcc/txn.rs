//! The New-Order and Payment transactions (TPC-C clauses 2.4 and 2.5, simplified as
//! `docs/tpcc.md` says), in SQL with parameters, the same text on every engine; and their
//! seeded inputs ([`Inputs`]).

use super::client::{ClientError, ClientResult, SqlClient, double_at, int_at, text_at};
use super::input::{NuConstants, Scale, astring, last_name, money};
use super::load::history_id;
use crate::schema::Value;
use crate::util::rng::SplitMix64 as Rng;

/// How a transaction ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed.
    Committed,
    /// Rolled back on purpose: a New-Order naming an unused item (1% of them, as TPC-C asks).
    RolledBack,
}

/// One New-Order's input.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOrder {
    /// Home warehouse.
    pub w_id: i64,
    /// District.
    pub d_id: i64,
    /// Customer.
    pub c_id: i64,
    /// Lines: (item, supplying warehouse, quantity), sorted by (warehouse, item) so that
    /// concurrent orders lock stock rows in one order.
    pub lines: Vec<(i64, i64, i64)>,
    /// Entry date (microseconds).
    pub entry_d: i64,
}

/// How Payment finds its customer.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomerBy {
    /// By id.
    Id(i64),
    /// By last name: the middle one of the matches ordered by first name.
    LastName(String),
}

/// One Payment's input.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    /// Home warehouse.
    pub w_id: i64,
    /// District.
    pub d_id: i64,
    /// Customer's warehouse.
    pub c_w_id: i64,
    /// Customer's district.
    pub c_d_id: i64,
    /// The customer.
    pub customer: CustomerBy,
    /// Amount paid.
    pub amount: f64,
    /// Payment date (microseconds).
    pub date: i64,
}

/// A client's seeded stream of inputs.
#[derive(Debug)]
pub struct Inputs {
    rng: Rng,
    nu: NuConstants,
    scale: Scale,
    /// The client's number (its history ids and home warehouse follow from it).
    pub client: u64,
    history: i64,
    clock: i64,
}

impl Inputs {
    /// The inputs of client `client` (0-based) for a run seeded with `seed`.
    pub fn new(seed: u64, client: u64, scale: Scale) -> Inputs {
        let mut rng = Rng::new(seed ^ (client + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let nu = NuConstants::new(&mut rng);
        Inputs {
            rng,
            nu,
            scale,
            client,
            history: 0,
            clock: super::load::LOAD_TIME,
        }
    }

    /// Whether the next transaction is a New-Order (45 in 88) or a Payment (43 in 88): TPC-C's
    /// minimum mix of the two, normalised.
    pub fn next_is_new_order(&mut self) -> bool {
        self.rng.chance(45, 88)
    }

    fn home(&self) -> i64 {
        (self.client % self.scale.warehouses.max(1)) as i64 + 1
    }

    fn other_warehouse(&mut self, home: i64) -> i64 {
        let w = self.scale.warehouses as i64;
        if w <= 1 {
            return home;
        }
        let pick = self.rng.range_inclusive(1, w as u64 - 1) as i64;
        if pick >= home { pick + 1 } else { pick }
    }

    fn tick(&mut self) -> i64 {
        self.clock += 1_000;
        self.clock
    }

    /// The next New-Order.
    pub fn new_order(&mut self) -> NewOrder {
        let s = self.scale;
        let w_id = self.home();
        let d_id = self.rng.range_inclusive(1, s.districts) as i64;
        let c_id = self.nu.nurand(&mut self.rng, 1023, 1, s.customers) as i64;
        let count = self.rng.range_inclusive(5, 15);
        let rollback = self.rng.chance(1, 100);
        let mut lines = Vec::with_capacity(count as usize);
        for n in 0..count {
            let item = if rollback && n + 1 == count {
                s.items as i64 + 1
            } else {
                self.nu.nurand(&mut self.rng, 8191, 1, s.items) as i64
            };
            let supply = if self.rng.chance(1, 100) {
                self.other_warehouse(w_id)
            } else {
                w_id
            };
            let qty = self.rng.range_inclusive(1, 10) as i64;
            lines.push((item, supply, qty));
        }
        // One line per (warehouse, item): a repeated item would update its stock twice.
        lines.sort_by_key(|&(item, supply, _)| (supply, item));
        lines.dedup_by_key(|&mut (item, supply, _)| (supply, item));
        NewOrder {
            w_id,
            d_id,
            c_id,
            lines,
            entry_d: self.tick(),
        }
    }

    /// The next Payment.
    pub fn payment(&mut self) -> Payment {
        let s = self.scale;
        let w_id = self.home();
        let d_id = self.rng.range_inclusive(1, s.districts) as i64;
        let (c_w_id, c_d_id) = if self.rng.chance(85, 100) {
            (w_id, d_id)
        } else {
            let w = self.other_warehouse(w_id);
            (w, self.rng.range_inclusive(1, s.districts) as i64)
        };
        let customer = if self.rng.chance(60, 100) {
            let n = self.nu.nurand(&mut self.rng, 255, 0, s.last_names() - 1);
            CustomerBy::LastName(last_name(n))
        } else {
            CustomerBy::Id(self.nu.nurand(&mut self.rng, 1023, 1, s.customers) as i64)
        };
        Payment {
            w_id,
            d_id,
            c_w_id,
            c_d_id,
            customer,
            amount: money(&mut self.rng, 100, 500_000),
            date: self.tick(),
        }
    }

    /// A fresh history id of this client.
    pub fn history_id(&mut self) -> i64 {
        self.history += 1;
        history_id(self.client + 1, self.history)
    }

    /// Random filler text (for `h_data`).
    pub fn filler(&mut self) -> String {
        astring(&mut self.rng, 12, 24)
    }
}

fn one_row(rows: Vec<Vec<Value>>, what: &str) -> ClientResult<Vec<Value>> {
    let n = rows.len();
    rows.into_iter()
        .next()
        .filter(|_| n == 1)
        .ok_or_else(|| ClientError::fatal(format!("{what}: expected one row, got {n}")))
}

/// Runs one New-Order inside a transaction the caller has begun; commits it or rolls it back.
pub fn new_order(c: &mut impl SqlClient, t: &NewOrder) -> ClientResult<Outcome> {
    let i = Value::Int;
    let (w, d) = (i(t.w_id), i(t.d_id));
    let wh = c.query(
        "SELECT w_tax FROM warehouse WHERE w_id = ?",
        std::slice::from_ref(&w),
    )?;
    let w_tax = double_at(&one_row(wh, "warehouse")?, 0, "w_tax")?;
    c.execute(
        "UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_w_id = ? AND d_id = ?",
        &[w.clone(), d.clone()],
    )?;
    let dist = one_row(
        c.query(
            "SELECT d_tax, d_next_o_id FROM district WHERE d_w_id = ? AND d_id = ?",
            &[w.clone(), d.clone()],
        )?,
        "district",
    )?;
    let d_tax = double_at(&dist, 0, "d_tax")?;
    let o_id = int_at(&dist, 1, "d_next_o_id")? - 1;
    let cust = one_row(
        c.query(
            "SELECT c_discount, c_last, c_credit FROM customer WHERE c_w_id = ? AND c_d_id = ? AND c_id = ?",
            &[w.clone(), d.clone(), i(t.c_id)],
        )?,
        "customer",
    )?;
    let discount = double_at(&cust, 0, "c_discount")?;
    let all_local = t.lines.iter().all(|&(_, s, _)| s == t.w_id);
    c.execute(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        &[
            w.clone(),
            d.clone(),
            i(o_id),
            i(t.c_id),
            i(t.entry_d),
            i(t.lines.len() as i64),
            i(i64::from(all_local)),
        ],
    )?;
    c.execute(
        "INSERT INTO new_order VALUES (?, ?, ?)",
        &[w.clone(), d.clone(), i(o_id)],
    )?;
    let mut total = 0.0;
    for (n, &(item, supply, qty)) in t.lines.iter().enumerate() {
        let found = c.query(
            "SELECT i_price, i_name, i_data FROM item WHERE i_id = ?",
            &[i(item)],
        )?;
        let Some(row) = found.into_iter().next() else {
            c.rollback();
            return Ok(Outcome::RolledBack);
        };
        let price = double_at(&row, 0, "i_price")?;
        let stock = one_row(
            c.query(
                "SELECT s_quantity, s_dist_info FROM stock WHERE s_w_id = ? AND s_i_id = ?",
                &[i(supply), i(item)],
            )?,
            "stock",
        )?;
        let have = int_at(&stock, 0, "s_quantity")?;
        let dist_info = text_at(&stock, 1, "s_dist_info")?.to_string();
        let left = if have >= qty + 10 {
            have - qty
        } else {
            have - qty + 91
        };
        c.execute(
            "UPDATE stock SET s_quantity = ?, s_ytd = s_ytd + ?, s_order_cnt = s_order_cnt + 1, \
             s_remote_cnt = s_remote_cnt + ? WHERE s_w_id = ? AND s_i_id = ?",
            &[
                i(left),
                i(qty),
                i(i64::from(supply != t.w_id)),
                i(supply),
                i(item),
            ],
        )?;
        let amount = qty as f64 * price;
        total += amount;
        c.execute(
            "INSERT INTO order_line VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
            &[
                w.clone(),
                d.clone(),
                i(o_id),
                i(n as i64 + 1),
                i(item),
                i(supply),
                i(qty),
                Value::Double(amount),
                Value::Text(dist_info),
            ],
        )?;
    }
    // The order's total as the terminal would show it; computing it is part of the work.
    let _total = total * (1.0 - discount) * (1.0 + w_tax + d_tax);
    c.commit()?;
    Ok(Outcome::Committed)
}

/// Runs one Payment inside a transaction the caller has begun, and commits it.
pub fn payment(c: &mut impl SqlClient, t: &Payment, h_id: i64, filler: &str) -> ClientResult<()> {
    let i = Value::Int;
    let amount = Value::Double(t.amount);
    let (w, d) = (i(t.w_id), i(t.d_id));
    c.execute(
        "UPDATE warehouse SET w_ytd = w_ytd + ? WHERE w_id = ?",
        &[amount.clone(), w.clone()],
    )?;
    let wh = one_row(
        c.query(
            "SELECT w_name FROM warehouse WHERE w_id = ?",
            std::slice::from_ref(&w),
        )?,
        "warehouse",
    )?;
    let w_name = text_at(&wh, 0, "w_name")?.to_string();
    c.execute(
        "UPDATE district SET d_ytd = d_ytd + ? WHERE d_w_id = ? AND d_id = ?",
        &[amount.clone(), w.clone(), d.clone()],
    )?;
    let dist = one_row(
        c.query(
            "SELECT d_name FROM district WHERE d_w_id = ? AND d_id = ?",
            &[w.clone(), d.clone()],
        )?,
        "district",
    )?;
    let d_name = text_at(&dist, 0, "d_name")?.to_string();
    let (cw, cd) = (i(t.c_w_id), i(t.c_d_id));
    let c_id = match &t.customer {
        CustomerBy::Id(id) => *id,
        CustomerBy::LastName(last) => {
            let rows = c.query(
                "SELECT c_id FROM customer WHERE c_w_id = ? AND c_d_id = ? AND c_last = ? ORDER BY c_first",
                &[cw.clone(), cd.clone(), Value::Text(last.clone())],
            )?;
            match rows.get(rows.len().saturating_sub(1).div_ceil(2)) {
                Some(row) => int_at(row, 0, "c_id")?,
                // No customer has this name in a small database: pay customer 1 instead.
                None => 1,
            }
        }
    };
    let key = [cw.clone(), cd.clone(), i(c_id)];
    let cust = one_row(
        c.query(
            "SELECT c_credit, c_data FROM customer WHERE c_w_id = ? AND c_d_id = ? AND c_id = ?",
            &key,
        )?,
        "customer",
    )?;
    let bad_credit = text_at(&cust, 0, "c_credit")? == "BC";
    c.execute(
        "UPDATE customer SET c_balance = c_balance - ?, c_ytd_payment = c_ytd_payment + ?, \
         c_payment_cnt = c_payment_cnt + 1 WHERE c_w_id = ? AND c_d_id = ? AND c_id = ?",
        &[
            amount.clone(),
            amount.clone(),
            key[0].clone(),
            key[1].clone(),
            key[2].clone(),
        ],
    )?;
    if bad_credit {
        let old = text_at(&cust, 1, "c_data")?;
        let mut data = format!(
            "{c_id} {} {} {} {} {:.2} | {old}",
            t.c_d_id, t.c_w_id, t.d_id, t.w_id, t.amount
        );
        data.truncate(500);
        c.execute(
            "UPDATE customer SET c_data = ? WHERE c_w_id = ? AND c_d_id = ? AND c_id = ?",
            &[
                Value::Text(data),
                key[0].clone(),
                key[1].clone(),
                key[2].clone(),
            ],
        )?;
    }
    c.execute(
        "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            i(h_id),
            i(c_id),
            cd,
            cw,
            d,
            w,
            i(t.date),
            amount,
            Value::Text(format!("{w_name}    {d_name} {filler}")),
        ],
    )?;
    c.commit()
}
