#!/usr/bin/env python3
"""Drives a headless Chromium through forgedb's pages and reports what a reader sees.

Speaks the Chrome DevTools Protocol over a WebSocket (python3-websocket). Steps:
  1. the query form: a typed draft survives a reload (localStorage), "Add row" adds a row in place;
     a search whose full name the forges' real names do not match shows the warning first, and a
     matching one goes straight to the permalink page;
  2. the result page: the total and every heatmap cell (rect[data-count]) with its count;
  3. a real mouse click on a day cell: the day list that appears, its heading, titles and links;
  4. a click on an empty day: the "no activity" text.
A screenshot of each page goes to --out. The observations are printed as one JSON object on
stdout; the caller (tests/integration/ui_browser_test.cpp) checks them. Exit status 2 means the
browser could not be driven (timeouts, crash), not that a check failed.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Cdp:
    """A minimal CDP client on one page target."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expression):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                        awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError("evaluate %r: %s" % (expression[:80], res["exceptionDetails"]))
        return res["result"].get("value")

    def wait_for(self, expression, timeout=15.0, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError("timed out waiting for " + (what or expression))

    def navigate(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href === %s"
                      % json.dumps(url), what="load of " + url)
        # The deferred script has run once the document is complete.

    def screenshot(self, path):
        height = self.eval("Math.ceil(document.documentElement.scrollHeight)")
        self.call("Emulation.setDeviceMetricsOverride", width=1200, height=max(int(height), 600),
                  deviceScaleFactor=1, mobile=False)
        shot = self.call("Page.captureScreenshot", format="png")
        self.call("Emulation.clearDeviceMetricsOverride")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path

    def click_at(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            params = {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
            if kind == "mouseMoved":
                params = {"type": kind, "x": x, "y": y}
            self.call("Input.dispatchMouseEvent", **params)

    def page_errors(self):
        out = []
        for ev in self.events:
            if ev["method"] == "Runtime.exceptionThrown":
                out.append(ev["params"]["exceptionDetails"].get("text", "exception"))
            elif ev["method"] == "Runtime.consoleAPICalled" and ev["params"]["type"] == "error":
                out.append(" ".join(str(a.get("value", a.get("description", "")))
                                    for a in ev["params"]["args"]))
            elif ev["method"] == "Log.entryAdded" and ev["params"]["entry"]["level"] == "error":
                entry = ev["params"]["entry"]
                out.append("%s: %s" % (entry.get("url", ""), entry.get("text", "")))
        return out


def start_browser(binary, profile, log):
    args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--disable-features=Translate,OptimizationHints,MediaRouter",
            "--no-proxy-server", "--mute-audio", "--hide-scrollbars", "--window-size=1200,900",
            "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"]
    proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("chromium exited with %d" % proc.returncode)
        if os.path.exists(port_file):
            lines = open(port_file).read().split("\n")
            if len(lines) >= 2 and lines[0].strip():
                return proc, int(lines[0])
        time.sleep(0.05)
    proc.kill()
    raise TimeoutError("chromium wrote no DevToolsActivePort")


def page_target(port):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    deadline = time.time() + 15
    while time.time() < deadline:
        with opener.open("http://127.0.0.1:%d/json/list" % port, timeout=5) as res:
            for target in json.load(res):
                if target.get("type") == "page":
                    return target["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise TimeoutError("no page target")


CELLS_JS = """(() => {
  const cells = {};
  document.querySelectorAll('svg.heatmap rect[data-count]').forEach(r => {
    cells[r.getAttribute('data-day')] = Number(r.getAttribute('data-count'));
  });
  return cells;
})()"""

CELL_CENTRE_JS = """(() => {
  const r = document.querySelector('svg.heatmap rect[data-day="%s"]');
  if (!r) return null;
  r.scrollIntoView({block: 'center'});
  const b = r.getBoundingClientRect();
  return {x: b.left + b.width / 2, y: b.top + b.height / 2,
          fill: r.getAttribute('fill'), title: r.textContent};
})()"""

DAY_LIST_JS = """(() => {
  const s = document.querySelector('#day-slot #day[data-day="%s"]');
  if (!s) return null;
  const h = s.querySelector('h2');
  const empty = s.querySelector('p.empty');
  return {
    heading: h ? h.textContent : null,
    empty: empty ? empty.textContent : null,
    items: Array.from(s.querySelectorAll('ul.items li')).map(li => ({
      platform: (li.querySelector('.platform') || {}).textContent || '',
      title: (li.querySelector('.title') || {}).textContent || '',
      href: (li.querySelector('a.title') || {href: ''}).href,
    })),
    selected: (document.querySelector('svg.heatmap rect.selected') || {getAttribute: () => null})
        .getAttribute('data-day'),
    url: location.search,
  };
})()"""


def click_day(cdp, day):
    pos = cdp.eval(CELL_CENTRE_JS % day)
    if not pos:
        raise RuntimeError("no heatmap cell for " + day)
    time.sleep(0.1)  # let the scroll settle
    pos = cdp.eval(CELL_CENTRE_JS % day)
    cdp.click_at(pos["x"], pos["y"])
    return cdp.wait_for(DAY_LIST_JS % day, what="day list of " + day), pos


def run(args):
    os.makedirs(args.out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="forgedb-chromium-")
    report = {"screenshots": []}
    log = open(os.path.join(args.out, "chromium.log"), "wb")
    proc = None
    try:
        proc, port = start_browser(args.chromium, profile, log)
        cdp = Cdp(page_target(port))
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Log.enable")

        # 1. The query form.
        cdp.navigate(args.form_url)
        cdp.eval("""(() => {
          const i = document.querySelector('#rows input[name=fullname]');
          i.value = 'Draft Person';
          i.dispatchEvent(new Event('input', {bubbles: true}));
          return true;
        })()""")
        cdp.navigate(args.form_url)
        report["form"] = {
            "draft_restored": cdp.eval(
                "document.querySelector('#rows input[name=fullname]').value"),
        }
        cdp.eval("document.getElementById('add-row').click(); true")
        report["form"]["rows_after_add"] = cdp.eval("document.querySelectorAll('#rows tr.row').length")
        report["form"]["title"] = cdp.eval("document.querySelector('h1').textContent")
        report["screenshots"].append(cdp.screenshot(os.path.join(args.out, "form.png")))
        cdp.eval("document.getElementById('clear-draft').click(); true")

        # 1b. Search with names the mirror's accounts do not bear out: a warning first; the same
        # search with the right full name goes straight to the permalink page.
        fill = """((name) => {
          const set = (f, v) => {
            const i = document.querySelector('#rows input[name=' + f + ']');
            i.value = v;
            i.dispatchEvent(new Event('input', {bubbles: true}));
          };
          set('fullname', name); set('phabricator', 'alice'); set('gerrit', ''); set('github', '');
          document.getElementById('search').click();
          return true;
        })"""
        cdp.eval(fill + "('Zed Nobody')")
        cdp.wait_for("!document.getElementById('name-warning').hidden", what="name warning")
        report["form"]["warning"] = cdp.eval(
            "document.getElementById('name-warning-text').textContent")
        report["form"]["path_after_warning"] = cdp.eval("location.pathname")
        report["screenshots"].append(cdp.screenshot(os.path.join(args.out, "form-warning.png")))
        cdp.eval("document.getElementById('name-warning-back').click(); true")
        report["form"]["warning_hidden_after_back"] = cdp.eval(
            "document.getElementById('name-warning').hidden")
        cdp.eval(fill + "('Alice Example')")
        cdp.wait_for("location.pathname !== '/' && !!document.getElementById('total')",
                     what="the permalink page after a matching search")
        report["form"]["path_after_match"] = cdp.eval("location.pathname")
        report["form"]["warning_seen_on_match"] = cdp.eval(
            "!!document.getElementById('name-warning')")

        # 2. The result page.
        cdp.navigate(args.result_url)
        report["result"] = {
            "heading": cdp.eval("document.querySelector('h1').textContent"),
            "total": cdp.eval("document.getElementById('total').textContent"),
            "cells": cdp.eval(CELLS_JS),
            "months": cdp.eval("Array.from(document.querySelectorAll('svg.heatmap g.month'))"
                               ".map(g => g.getAttribute('data-month'))"),
            "charts": cdp.eval("document.querySelectorAll('svg.chart').length"),
            "progress": cdp.eval("!!document.querySelector('.progress')"),
        }
        report["screenshots"].append(cdp.screenshot(os.path.join(args.out, "result.png")))

        # 3. A day with contributions, by a real mouse click.
        listing, pos = click_day(cdp, args.day)
        report["day"] = listing
        report["day"]["clicked_title"] = pos["title"]
        report["screenshots"].append(cdp.screenshot(os.path.join(args.out, "day.png")))

        # 4. A day without any.
        if args.empty_day:
            listing, _ = click_day(cdp, args.empty_day)
            report["empty_day"] = listing
            report["screenshots"].append(cdp.screenshot(os.path.join(args.out, "empty-day.png")))

        report["errors"] = cdp.page_errors()
        cdp.ws.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--form-url", required=True)
    parser.add_argument("--result-url", required=True)
    parser.add_argument("--day", required=True, help="YYYY-MM-DD with contributions")
    parser.add_argument("--empty-day", help="YYYY-MM-DD without contributions")
    parser.add_argument("--out", required=True, help="folder for the screenshots")
    args = parser.parse_args()
    try:
        report = run(args)
    except Exception as e:  # noqa: BLE001 - any failure to drive the browser
        print(json.dumps({"failure": "%s: %s" % (type(e).__name__, e)}))
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
