#!/usr/bin/env python3
"""Drive `huizong serve` in headless Chromium (the system's chromium and
chromedriver, no browser download) through the flow of serve.md:

a township logs in, uploads a return with an error, sees the finding's cell
and code, downloads the annotated workbook, uploads the corrected file,
submits and sees the receipt; the county logs in, sees the board with that
township 已报送, runs 汇总, downloads the county workbook and reads its 汇总
figures back. A screenshot of every page is kept in the shots folder.

Usage: serve_flow.py CONFIG.json   (url, township, password, county_password,
error_file, work, shots)
"""

import base64
import glob
import json
import os
import sys
import time

import openpyxl
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

cfg = json.load(open(sys.argv[1], encoding="utf-8"))
URL = cfg["url"].rstrip("/")
WORK = cfg["work"]
SHOTS = cfg["shots"]
DOWNLOADS = os.path.join(WORK, "downloads")
os.makedirs(DOWNLOADS, exist_ok=True)
os.makedirs(SHOTS, exist_ok=True)


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = cfg.get("chromium", "/usr/bin/chromium")
    for a in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--lang=zh-CN",
        "--window-size=1280,900",
        "--user-data-dir=" + os.path.join(WORK, "chrome-profile"),
    ]:
        o.add_argument(a)
    o.add_experimental_option(
        "prefs",
        {
            "download.default_directory": DOWNLOADS,
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    d = webdriver.Chrome(service=Service(cfg.get("chromedriver", "/usr/bin/chromedriver")), options=o)
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWNLOADS})
    d.set_page_load_timeout(60)
    return d


d = browser()
wait = WebDriverWait(d, 60)


def shot(name):
    """The whole page, not just the window."""
    m = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = m.get("cssContentSize") or m["contentSize"]
    w, h = int(size["width"]), int(size["height"])
    png = d.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}},
    )
    path = os.path.join(SHOTS, name + ".png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(png["data"]))
    print("screenshot", path)


def narrow(name):
    """The page on a phone's width: nothing runs off the side (a wide table
    scrolls on its own)."""
    d.set_window_size(390, 900)
    try:
        width = d.execute_script("return document.documentElement.scrollWidth")
        shot(name + "-手机")
        assert width <= 390, (name, width)
    finally:
        d.set_window_size(1280, 900)


def pdf(name):
    """The page as printed on A4 (the print style sheet)."""
    from selenium.webdriver.common.print_page_options import PrintOptions

    o = PrintOptions()
    o.page_width = 21.0
    o.page_height = 29.7
    path = os.path.join(SHOTS, name + ".pdf")
    with open(path, "wb") as f:
        f.write(base64.b64decode(d.print_page(o)))
    print("printed", path)


def body():
    # Right after a click the page may still be the old one, replaced while
    # its text is read: read the new page's then.
    for _ in range(50):
        try:
            return d.find_element(By.TAG_NAME, "body").text
        except StaleElementReferenceException:
            time.sleep(0.1)
    return d.find_element(By.TAG_NAME, "body").text


def download(link_text, pattern):
    before = set(glob.glob(os.path.join(DOWNLOADS, "*")))
    d.find_element(By.PARTIAL_LINK_TEXT, link_text).click()
    for _ in range(600):
        now = set(glob.glob(os.path.join(DOWNLOADS, pattern))) - before
        done = [p for p in now if not p.endswith(".crdownload")]
        if done and not glob.glob(os.path.join(DOWNLOADS, "*.crdownload")):
            return done[0]
        time.sleep(0.1)
    raise AssertionError("download of %s did not finish" % link_text)


def login(user, password):
    d.get(URL + "/login")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()


def upload(path):
    d.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
    d.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    wait.until(EC.url_contains("/uploads/"))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.summary")))


def sheet_rows(path, sheet):
    wb = openpyxl.load_workbook(path, data_only=True)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def column_sum(path, sheet, header):
    rows = sheet_rows(path, sheet)
    for i, r in enumerate(rows[:10]):
        if header in r:
            c = r.index(header)
            total = 0
            for row in rows[i + 1:]:
                v = row[c] if c < len(row) else None
                if isinstance(v, (int, float)) and not any(isinstance(x, str) and ("合计" in x) for x in row):
                    total += v
            return total
    raise AssertionError("no column %s in %s" % (header, sheet))


try:
    # ---- the township
    d.get(URL + "/")
    wait.until(EC.url_contains("/login"))
    shot("01-登录")
    login(cfg["township"], "wrong-password")
    wait.until(lambda _: "用户名或密码错误" in body())
    shot("01b-登录失败")
    login(cfg["township"], cfg["password"])
    wait.until(EC.url_contains("/home"))
    text = body()
    assert "未报送" in text and "下载" in text, text
    shot("02-首页")
    narrow("02-首页")

    upload(cfg["error_file"])
    text = body()
    assert "不能提交" in text, text
    rows = d.find_elements(By.CSS_SELECTOR, "table.findings tbody tr")
    cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    errors = [c for c in cells if c[5] == "错误"]
    assert errors, cells
    place, code = errors[0][1], errors[0][4]
    print("finding on the page:", place, code, errors[0][6])
    assert "!" in place and code, errors[0]
    shot("03-校验结果-有错误")
    narrow("03-校验结果-有错误")
    pdf("03-校验结果-打印")

    fb = download("反馈工作簿", "*.xlsx")
    fb_rows = sheet_rows(fb, "校验结果")
    assert any(code in [str(x) for x in r] for r in fb_rows), fb_rows[:5]
    print("feedback workbook:", os.path.basename(fb))

    # Correct the row the page pointed at, as its message says (P01: the
    # sign identity does not balance; this sample has one wall rule too many).
    sheet, cell = place.split("!")
    assert code == "P01" and sheet == "标牌清理", (code, sheet)
    row = int("".join(ch for ch in cell if ch.isdigit()))
    wb = openpyxl.load_workbook(cfg["error_file"])
    ws = wb[sheet]
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if any(c.value == "上墙制度数" for c in r))
    col = next(c.column for c in header if c.value == "上墙制度数")
    target = ws.cell(row=row, column=col)
    target.value = target.value - 1
    fixed = os.path.join(WORK, os.path.basename(cfg["error_file"]).replace(".xlsx", "_已改.xlsx"))
    wb.save(fixed)

    d.get(URL + "/home")
    upload(fixed)
    text = body()
    assert "可以提交" in text, text
    shot("04-校验结果-可提交")
    d.find_element(By.XPATH, "//button[contains(., '提交报表')]").click()
    wait.until(EC.url_contains("/receipts/"))
    text = body()
    assert "县里汇总时以此文件为准" in text and "回执编号" in text, text
    receipt = d.find_element(By.CSS_SELECTOR, "table.facts td.code").text
    print("receipt:", receipt)
    shot("05-回执")
    narrow("05-回执")
    pdf("05-回执-打印")

    d.get(URL + "/history")
    assert receipt in body()
    shot("06-报送记录")
    d.get(URL + "/home")
    assert "已报送" in body()
    shot("06b-首页-已报送")
    d.find_element(By.XPATH, "//button[contains(., '退出登录')]").click()
    wait.until(EC.url_contains("/login"))

    # ---- the county
    login("county", cfg["county_password"])
    wait.until(EC.url_contains("/county"))
    row = d.find_element(By.XPATH, "//table[contains(@class,'board')]//tr[td[1]='%s']" % cfg["township"])
    assert "已报送" in row.text and "网上" in row.text, row.text
    assert "手工放入" in body()
    shot("07-报送情况")
    narrow("07-报送情况")
    pdf("07-报送情况-打印")

    d.find_element(By.XPATH, "//button[contains(., '汇总')]").click()
    wait.until(EC.url_contains("/county/jobs/"))
    WebDriverWait(d, 300).until(lambda x: "汇总完成" in body() or "汇总失败" in body())
    assert "汇总完成" in body(), body()
    shot("08-汇总完成")

    book = download("县级汇总表", "县级汇总_*.xlsx")
    rows = sheet_rows(book, "汇总")
    head_i = next(i for i, r in enumerate(rows) if "乡镇(街道)" in r)
    head = rows[head_i]
    mine = next(r for r in rows[head_i + 1:] if r[head.index("乡镇(街道)代码")] == cfg["township"])
    status = mine[head.index("报送状态")]
    wall = mine[head.index("上墙制度数")]
    now = mine[head.index("现有标牌数")]
    want_wall = column_sum(fixed, "标牌清理", "上墙制度数")
    want_now = column_sum(fixed, "标牌清理", "现有标牌数")
    print("汇总 row:", dict(zip(head, mine)))
    assert status == "已汇总", status
    assert wall == want_wall and now == want_now, (wall, want_wall, now, want_now)
    total = next((r for r in rows if "合计" in [str(x) for x in r]), None)
    if total:
        print("合计 row 报送状态:", total[head.index("报送状态")])

    d.get(URL + "/county/audit")
    assert "提交" in body()
    shot("09-操作日志")
    narrow("09-操作日志")
    d.get(URL + "/history?township=" + cfg["township"])
    shot("10-县里查看乡镇记录")
    d.get(URL + "/receipts/" + receipt)
    shot("11-县里查看回执")
    print("BROWSER FLOW OK")
except Exception:
    try:
        shot("zz-失败时的页面")
        print("URL at failure:", d.current_url)
        print(body())
    except Exception:
        pass
    raise
finally:
    d.quit()
