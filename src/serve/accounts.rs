//! Logins: one per roster township (user name = its 9-digit code) and one
//! for the county (`county`); random passwords shown once, stored only as
//! Argon2id hashes; the printable accounts workbook.

use super::{clock, db, engine};
use anyhow::{bail, Context};
use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// The county's user name.
pub(crate) const COUNTY_USER: &str = "county";

/// Letters and digits without look-alikes (no 0/O/o, 1/l/I/i, L).
pub(crate) const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";

/// Password length (≥ 10 characters, ~68 bits from this alphabet).
pub(crate) const PASSWORD_LEN: usize = 12;

/// `n` random bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random number generator");
    b
}

/// Random lower-case hex of `N` bytes (session and CSRF tokens).
pub(crate) fn random_hex<const N: usize>() -> String {
    engine::hex(&random_bytes::<N>())
}

/// A new password: characters drawn uniformly from [`ALPHABET`]
/// (rejection sampling, so no character is likelier than another).
pub(crate) fn new_password() -> String {
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(PASSWORD_LEN);
    while out.len() < PASSWORD_LEN {
        for b in random_bytes::<32>() {
            if (b as usize) < limit && out.len() < PASSWORD_LEN {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// The Argon2id hash (PHC string, random salt) of a password.
pub(crate) fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("无法生成密码摘要:{e}"))
}

/// Does the password match the stored hash?
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A login made by this run, with its password (shown once).
#[derive(Clone, Debug)]
pub struct NewLogin {
    pub township: Option<String>,
    pub name: String,
    pub user: String,
    pub password: String,
}

/// Create the logins missing from the database: the county's and one per
/// roster township. Existing logins are kept as they are.
pub fn create_missing(
    c: &mut Connection,
    county_name: &str,
    townships: &[(String, String)],
) -> anyhow::Result<Vec<NewLogin>> {
    let mut wanted: Vec<(Option<String>, String, String)> =
        vec![(None, county_name.to_string(), COUNTY_USER.to_string())];
    wanted.extend(
        townships
            .iter()
            .map(|(code, name)| (Some(code.clone()), name.clone(), code.clone())),
    );
    let now = clock::now();
    let tx = c.transaction()?;
    let mut made = Vec::new();
    for (township, name, user) in wanted {
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM accounts WHERE user = ?1", [&user], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            continue;
        }
        let password = new_password();
        tx.execute(
            "INSERT INTO accounts(user, township, name, hash, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user, township, name, hash(&password)?, now],
        )?;
        db::audit(
            &tx,
            now,
            Some("(命令行)"),
            None,
            "创建账号",
            township.as_deref(),
            None,
            None,
            &format!("账号 {user}"),
        )?;
        made.push(NewLogin {
            township,
            name,
            user,
            password,
        });
    }
    tx.commit()?;
    Ok(made)
}

/// A new password for one login; its sessions end.
pub(crate) fn reset(c: &mut Connection, user: &str) -> anyhow::Result<NewLogin> {
    let row: Option<(Option<String>, String)> = c
        .query_row(
            "SELECT township, name FROM accounts WHERE user = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((township, name)) = row else {
        bail!("没有账号“{user}”。请先运行 huizong accounts 工作区 创建账号,或检查乡镇(街道)代码");
    };
    let password = new_password();
    let now = clock::now();
    let tx = c.transaction()?;
    tx.execute(
        "UPDATE accounts SET hash = ?1, reset = ?2 WHERE user = ?3",
        params![hash(&password)?, now, user],
    )?;
    tx.execute("DELETE FROM sessions WHERE user = ?1", [user])?;
    db::audit(
        &tx,
        now,
        Some("(命令行)"),
        None,
        "重设密码",
        township.as_deref(),
        None,
        None,
        &format!("账号 {user}"),
    )?;
    tx.commit()?;
    Ok(NewLogin {
        township,
        name,
        user: user.to_string(),
        password,
    })
}

/// Headers of the accounts sheet.
pub(crate) const HEADERS: [&str; 5] =
    ["乡镇(街道)代码", "乡镇(街道)", "用户名", "密码", "登录地址"];

/// Default workbook path: `<workspace>/账号_<县名>.xlsx`; when that exists
/// (a later run adding townships), `账号_<县名>_新增_<时间>.xlsx`.
pub(crate) fn default_output(workspace: &Path, county: &str) -> PathBuf {
    let first = workspace.join(engine::safe_file_name(&format!("账号_{county}.xlsx")));
    if !first.exists() {
        return first;
    }
    let stamp = clock::format(clock::now())
        .replace([' ', ':'], "")
        .replace('-', "");
    workspace.join(engine::safe_file_name(&format!(
        "账号_{county}_新增_{stamp}.xlsx"
    )))
}

/// Write the printable accounts workbook (never over an existing file).
pub(crate) fn write_workbook(
    path: &Path,
    county: &str,
    logins: &[NewLogin],
    url: &str,
) -> anyhow::Result<()> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    if path.exists() {
        bail!(
            "{} 已存在,不会覆盖(其中的密码只写出一次)。请用 -o 指定另一个文件名",
            path.display()
        );
    }
    let mut wb = Workbook::new();
    let title = format!("{county}党群服务中心月报报送账号");
    let ws = wb.add_worksheet();
    ws.set_name("账号")?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let cell = Format::new().set_border(FormatBorder::Thin);
    let mono = Format::new()
        .set_border(FormatBorder::Thin)
        .set_font_name("Consolas")
        .set_font_size(12);
    for (i, h) in HEADERS.iter().enumerate() {
        ws.write_with_format(0, i as u16, *h, &head)?;
    }
    // The county first, then townships by code.
    let mut rows: Vec<&NewLogin> = logins.iter().collect();
    rows.sort_by_key(|l| (l.township.is_some(), l.user.clone()));
    for (r, l) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_with_format(r, 0, l.township.clone().unwrap_or_default(), &cell)?;
        ws.write_with_format(r, 1, &l.name, &cell)?;
        ws.write_with_format(r, 2, &l.user, &mono)?;
        ws.write_with_format(r, 3, &l.password, &mono)?;
        ws.write_with_format(r, 4, url, &cell)?;
    }
    let widths = [14.0, 16.0, 14.0, 16.0, 30.0];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    engine::set_up_page(ws, &title, widths.iter().sum(), 1)?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(&title)
            .set_author("huizong"),
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建文件夹 {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("无法写入 {}(文件已存在或文件夹不可写)", path.display()))?;
    let bytes = wb
        .save_to_buffer()
        .map_err(|e| anyhow::anyhow!("无法生成账号工作簿:{e}"))?;
    use std::io::Write;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("无法写入 {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_without_look_alikes() {
        let a = new_password();
        let b = new_password();
        assert_ne!(a, b);
        assert!(a.chars().count() >= 10);
        for ch in a.chars().chain(b.chars()) {
            assert!(!"0Oo1lIiL".contains(ch), "{ch}");
        }
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("Secret-23456").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("Secret-23456", &h));
        assert!(!verify("Secret-23457", &h));
    }
}
