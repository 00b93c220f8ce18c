// The buyer's page: plain JavaScript on the service's own API (../shared/API.md), no framework,
// no build step. Views by URL hash: #/ shows, #/show/<id> sessions, areas and seats,
// #/order/<orderNo>, #/orders, #/login. Every price shown after an order is the server's.
"use strict";

const TEXT = {
  en: {
    shows: "Shows",
    myOrders: "My orders",
    login: "Log in",
    logout: "Log out",
    register: "Register",
    username: "Username",
    password: "Password",
    phone: "Mobile phone",
    noAccount: "No account yet? Register",
    haveAccount: "Have an account? Log in",
    loginFirst: "Please log in first",
    sessions: "Sessions",
    areas: "Areas",
    tiers: "Tickets",
    seatsLeft: (n) => `${n} left`,
    perHour: "/h",
    free: "Free",
    held: "Held",
    sold: "Sold",
    mine: "Mine",
    off: "Unavailable",
    stage: "STAGE",
    best: "Best",
    bestSeats: "Best seats",
    seatsUnit: "seats",
    release: "Release",
    yourSeats: "Your seats",
    none: "none",
    holdEnds: "Hold ends in",
    holdLapsed: "Your hold lapsed",
    order: "Order",
    orderNow: "Place order",
    quantity: "Quantity",
    buy: "Buy",
    date: "Date",
    start: "Start",
    hours: "Hours",
    dayPrice: "Day",
    nightPrice: "Night",
    night: "Night hours",
    estimate: "Estimate",
    nightHours: (n) => `${n} night h`,
    holdSelected: "Hold selected seats",
    pickSeatsHint: "Tap a seat code to pick it, or ask for the best ones.",
    orderNo: "Order no.",
    show: "Show",
    session: "Session",
    ticket: "Ticket",
    seats: "Seats",
    window: "Booking",
    total: "Total",
    basePrice: "Base price",
    nightSurcharge: "Night surcharge",
    status: "Status",
    payBefore: "Pay before",
    pay: "Pay",
    payWith: ["", "Alipay", "WeChat Pay", "Card"],
    cancel: "Cancel",
    cancelled: "Cancelled",
    paid: "Paid — enjoy!",
    statuses: ["Pending payment", "Paid", "Cancelled", "Expired", "Refunded"],
    noOrders: "No orders yet.",
    created: "Created",
    loading: "Loading…",
    welcome: (u) => `Hi, ${u}`,
    back: "← Back",
    refreshing: "Live: refreshed every 3 s",
    cafeHint: "Booked by the hour. Night hours cost more.",
  },
  zh: {
    shows: "演出",
    myOrders: "我的订单",
    login: "登录",
    logout: "退出",
    register: "注册",
    username: "用户名",
    password: "密码",
    phone: "手机号",
    noAccount: "还没有账号？注册",
    haveAccount: "已有账号？登录",
    loginFirst: "请先登录",
    sessions: "场次",
    areas: "区域",
    tiers: "票档",
    seatsLeft: (n) => `余 ${n}`,
    perHour: "/小时",
    free: "可选",
    held: "已锁定",
    sold: "已售",
    mine: "我的",
    off: "不可用",
    stage: "舞台",
    best: "最佳",
    bestSeats: "最佳座位",
    seatsUnit: "个座位",
    release: "释放",
    yourSeats: "已选座位",
    none: "无",
    holdEnds: "锁座剩余",
    holdLapsed: "锁座已过期",
    order: "订单",
    orderNow: "提交订单",
    quantity: "数量",
    buy: "购买",
    date: "日期",
    start: "开始",
    hours: "时长",
    dayPrice: "白天",
    nightPrice: "夜间",
    night: "夜间时段",
    estimate: "预估",
    nightHours: (n) => `夜间 ${n} 小时`,
    holdSelected: "锁定所选座位",
    pickSeatsHint: "点击座位编号选择，或直接选最佳座位。",
    orderNo: "订单号",
    show: "演出",
    session: "场次",
    ticket: "票档",
    seats: "座位",
    window: "预订时段",
    total: "合计",
    basePrice: "基础价",
    nightSurcharge: "夜间附加",
    status: "状态",
    payBefore: "支付截止",
    pay: "支付",
    payWith: ["", "支付宝", "微信支付", "银行卡"],
    cancel: "取消",
    cancelled: "已取消",
    paid: "支付成功！",
    statuses: ["待支付", "已支付", "已取消", "已过期", "已退款"],
    noOrders: "暂无订单。",
    created: "下单时间",
    loading: "加载中…",
    welcome: (u) => `你好，${u}`,
    back: "← 返回",
    refreshing: "实时：每 3 秒刷新",
    cafeHint: "按小时预订，夜间时段价格更高。",
  },
};

const CAFE = 6;
const REFRESH_MS = 3000;

const state = {
  lang: localStorage.getItem("lang") ||
    (navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en"),
  token: localStorage.getItem("token") || "",
  username: localStorage.getItem("username") || "",
  /** Timers of the current view, cleared when the view changes. */
  timers: [],
};

function t(key, ...args) {
  const v = TEXT[state.lang][key];
  return typeof v === "function" ? v(...args) : v;
}

// ---------------------------------------------------------------- DOM helpers

/** Builds an element: h("button", {class: "x", onclick}, "text", child, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const view = () => document.getElementById("view");

function render(...nodes) {
  view().replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined));
}

let toastTimer = 0;
function toast(message, error = false) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = error ? "error" : "";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 4000);
}

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

const money = (n) => `¥${Number(n).toFixed(2).replace(/\.00$/, "")}`;
/** "2026-12-01T19:30:00+08:00" → "2026-12-01 19:30", in the service's zone as sent. */
const when = (s) => (s ? String(s).replace("T", " ").slice(0, 16) : "");
const pad = (n) => String(n).padStart(2, "0");

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
  }
}

async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (state.token) init.headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const envelope = await res.json().catch(() => null);
  if (!res.ok || !envelope || envelope.success === false) {
    if (res.status === 401 && state.token) signOut();
    throw new ApiError(res.status, envelope);
  }
  return envelope.data;
}

/** Runs an action, showing its error; returns undefined when it failed. */
async function attempt(fn) {
  try {
    return await fn();
  } catch (e) {
    toast(e.message, true);
    return undefined;
  }
}

function signOut() {
  state.token = "";
  state.username = "";
  localStorage.removeItem("token");
  localStorage.removeItem("username");
  updateNav();
}

function needLogin() {
  if (state.token) return false;
  toast(t("loginFirst"), true);
  location.hash = `#/login?next=${encodeURIComponent(location.hash)}`;
  return true;
}

// ---------------------------------------------------------------- views

async function showsView() {
  const page = await api("GET", "/api/show/list?size=50");
  render(
    h("h1", {}, t("shows")),
    h(
      "div",
      { class: "cards" },
      page.records.map((s) =>
        h(
          "a",
          { class: "card", href: `#/show/${s.id}`, "data-test": "show", "data-type": s.type },
          h("div", { class: "name" }, s.name),
          h(
            "div",
            {},
            h("span", { class: "tag" }, s.typeName),
            h("span", { class: "muted" }, s.city),
          ),
          h("div", { class: "muted" }, s.venue),
          h("div", { class: "muted" }, when(s.startTime)),
          s.minPrice !== null && s.minPrice !== undefined
            ? h(
              "div",
              { class: "price" },
              s.minPrice === s.maxPrice
                ? money(s.minPrice)
                : `${money(s.minPrice)} – ${money(s.maxPrice)}`,
              s.type === CAFE ? t("perHour") : "",
            )
            : null,
        )
      ),
    ),
  );
}

async function showView(showId, query) {
  const show = await api("GET", `/api/show/${showId}`);
  const sessions = show.sessions || [];
  const sessionId = Number(query.get("session")) || (sessions[0] && sessions[0].id);
  const areaId = Number(query.get("area")) || 0;
  const go = (s, a) => (location.hash = `#/show/${showId}?session=${s}${a ? `&area=${a}` : ""}`);
  const head = [
    h("a", { href: "#/" }, t("back")),
    h("h1", {}, show.name),
    h("div", { class: "muted" }, `${show.venue} · ${show.city}`),
    show.type === CAFE ? h("div", { class: "muted" }, t("cafeHint")) : null,
    h("h2", {}, t("sessions")),
    h(
      "div",
      { class: "choices" },
      sessions.map((s) =>
        h(
          "button",
          {
            class: s.id === sessionId ? "chosen" : "",
            "data-test": "session",
            onclick: () => go(s.id),
          },
          `${s.name} · ${when(s.startTime)}`,
        )
      ),
    ),
  ];
  if (!sessionId) return render(...head);
  const areas = await api("GET", `/api/seat/areas?showId=${showId}&sessionId=${sessionId}`);
  if (!areas.length) {
    return render(...head, await tiersPanel(show, sessionId));
  }
  const area = areas.find((a) => a.id === areaId);
  render(
    ...head,
    h("h2", {}, t("areas")),
    h(
      "div",
      { class: "choices" },
      areas.map((a) =>
        h(
          "button",
          {
            class: a.id === areaId ? "chosen" : "",
            "data-test": "area",
            onclick: () => go(sessionId, a.id),
          },
          `${a.name} · ${money(a.price)}${show.type === CAFE ? t("perHour") : ""} · ${
            t("seatsLeft", a.availableSeats)
          }`,
        )
      ),
    ),
    area ? h("div", { id: "area" }) : null,
  );
  if (!area) return;
  if (show.type === CAFE) await cafePanel(show, sessionId, area);
  else await seatPanel(show, sessionId, area);
}

/** General admission: tiers with a quantity. */
async function tiersPanel(show, sessionId) {
  const tiers = await api("GET", `/api/ticket/list?showId=${show.id}&sessionId=${sessionId}`);
  return h(
    "div",
    {},
    h("h2", {}, t("tiers")),
    tiers.map((tier) => {
      const qty = h(
        "select",
        { "aria-label": t("quantity") },
        Array.from({ length: tier.limitCount }, (_, i) => h("option", { value: i + 1 }, i + 1)),
      );
      return h(
        "div",
        { class: "panel summary" },
        h(
          "div",
          {},
          h("strong", {}, tier.name),
          " ",
          h("span", { class: "price" }, money(tier.price)),
        ),
        h("div", { class: "muted" }, t("seatsLeft", tier.available)),
        h(
          "div",
          { class: "toolbar" },
          qty,
          h("button", {
            class: "primary",
            disabled: tier.available < 1,
            onclick: () =>
              placeOrder({
                showId: show.id,
                sessionId,
                ticketId: tier.id,
                quantity: Number(qty.value),
              }),
          }, t("buy")),
        ),
      );
    }),
  );
}

async function placeOrder(body) {
  if (needLogin()) return;
  const orderNo = await attempt(() =>
    api("POST", "/api/order/create", body, { "idempotency-key": crypto.randomUUID() })
  );
  if (orderNo) location.hash = `#/order/${orderNo}`;
}

function countdownText(expireAt) {
  const left = Math.max(0, Math.round((expireAt - Date.now()) / 1000));
  return left > 0 ? `${t("holdEnds")} ${Math.floor(left / 60)}:${pad(left % 60)}` : t("holdLapsed");
}

// ---------------------------------------------------------------- seat map (theatre)

async function seatPanel(show, sessionId, area) {
  const box = document.getElementById("area");
  const map = h("div", { class: "map" });
  const mine = h("span", { "data-test": "mine" });
  const clock = h("span", { class: "countdown", "data-test": "countdown" });
  const count = h(
    "select",
    { "aria-label": t("seatsUnit"), "data-test": "best-count" },
    Array.from({ length: 10 }, (_, i) => h("option", { value: i + 1, selected: i === 1 }, i + 1)),
  );
  const orderButton = h("button", {
    class: "primary",
    disabled: true,
    "data-test": "order",
    onclick: () =>
      placeOrder({ showId: show.id, sessionId, seatIds: current.mine.map((s) => s.id) }),
  }, t("orderNow"));
  let current = { seats: [], mine: [] };

  const refresh = async () => {
    const layout = await api("GET", `/api/seat/layout/${area.id}?sessionId=${sessionId}`);
    const seats = layout.seats;
    const mineSeats = seats.filter((s) => s.lockedByCurrentUser);
    current = { seats, mine: mineSeats };
    const grid = h("div", {
      class: "seats",
      style: `grid-template-columns: auto repeat(${layout.totalCols}, max-content)`,
    });
    const byPlace = new Map(seats.map((s) => [`${s.rowNum}-${s.seatNum}`, s]));
    for (let r = 1; r <= layout.totalRows; r++) {
      grid.append(h("div", { class: "rowlabel" }, r));
      for (let c = 1; c <= layout.totalCols; c++) {
        const s = byPlace.get(`${r}-${c}`);
        if (!s) {
          grid.append(h("span"));
          continue;
        }
        const kind = s.lockedByCurrentUser
          ? "mine"
          : s.status === 1
          ? "free"
          : s.status === 0
          ? "off"
          : s.status === 3 || s.lockStatus === 2
          ? "sold"
          : "held";
        grid.append(h("button", {
          class: `seat ${kind}`,
          title: `${s.seatCode} · ${t(kind)}`,
          "data-seat": s.id,
          "data-state": kind,
          disabled: kind !== "free" && kind !== "mine",
          onclick: () => toggleSeat(s, kind),
        }, s.seatNum));
      }
    }
    map.replaceChildren(h("div", { class: "stage" }, t("stage")), grid);
    mine.textContent = mineSeats.length ? mineSeats.map((s) => s.seatCode).join(", ") : t("none");
    orderButton.disabled = mineSeats.length === 0;
    orderButton.textContent = mineSeats.length
      ? `${t("orderNow")} · ${money(mineSeats.length * area.price)}`
      : t("orderNow");
    tick();
  };
  const tick = () => {
    const ends = current.mine.map((s) => Date.parse(s.lockExpireTime)).filter((n) => !isNaN(n));
    clock.textContent = ends.length ? countdownText(Math.min(...ends)) : "";
  };
  const toggleSeat = async (seat, kind) => {
    if (needLogin()) return;
    const path = kind === "mine" ? "/api/seat/release" : "/api/seat/lock";
    await attempt(() => api("POST", path, { sessionId, seatIds: [seat.id] }));
    await refresh();
  };
  const bestSeats = async () => {
    if (needLogin()) return;
    const before = current.mine.map((s) => s.id);
    const got = await attempt(() =>
      api("POST", "/api/seat/best", { sessionId, areaId: area.id, count: Number(count.value) })
    );
    if (got) {
      // The new block replaces what the buyer held here before.
      const stale = before.filter((id) => !got.seatIds.includes(id));
      if (stale.length) {
        await attempt(() => api("POST", "/api/seat/release", { sessionId, seatIds: stale }));
      }
      toast(got.seats.map((s) => s.seatCode).join(", "));
    }
    await refresh();
  };

  box.replaceChildren(
    h(
      "div",
      { class: "panel" },
      h(
        "div",
        { class: "toolbar" },
        h("strong", {}, t("bestSeats")),
        count,
        h("button", { "data-test": "best", onclick: bestSeats }, t("best")),
        h("span", { class: "muted" }, t("refreshing")),
      ),
      h(
        "div",
        { class: "legend" },
        ["free", "held", "sold", "mine", "off"].map((k) =>
          h("span", {}, h("i", { class: k }), t(k))
        ),
      ),
      map,
      h(
        "div",
        { class: "summary" },
        h("div", {}, `${t("yourSeats")}: `, mine, " ", clock),
        orderButton,
      ),
    ),
  );
  await refresh();
  every(REFRESH_MS, () => refresh().catch(() => {}));
  every(1000, tick);
}

// ---------------------------------------------------------------- timeline (café)

/** "HH:mm" → hour of the day. */
const hourOf = (hhmm) => Number(String(hhmm).slice(0, 2));
const inWindow = (h, from, to) => (from < to ? h >= from && h < to : h >= from || h < to);

async function cafePanel(show, sessionId, area) {
  const box = document.getElementById("area");
  const settings = await api("GET", `/api/show/${show.id}/hourly`);
  const nightFrom = hourOf(settings.nightFrom);
  const nightTo = hourOf(settings.nightTo) % 24;
  const today = new Date();
  const dates = Array.from({ length: settings.horizonDays }, (_, i) => {
    const d = new Date(today.getTime() + i * 86_400_000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  });
  const dateSel = h(
    "select",
    { "data-test": "date", "aria-label": t("date") },
    dates.map((d) => h("option", { value: d }, d)),
  );
  const startSel = h(
    "select",
    { "data-test": "start", "aria-label": t("start") },
    Array.from(
      { length: 24 },
      (_, i) =>
        h("option", { value: i, selected: i === (today.getHours() + 1) % 24 }, `${pad(i)}:00`),
    ),
  );
  const hoursSel = h(
    "select",
    { "data-test": "hours", "aria-label": t("hours") },
    Array.from(
      { length: settings.maxHours },
      (_, i) => h("option", { value: i + 1, selected: i === 1 }, i + 1),
    ),
  );
  const count = h(
    "select",
    { "data-test": "best-count", "aria-label": t("seatsUnit") },
    Array.from({ length: 10 }, (_, i) => h("option", { value: i + 1 }, i + 1)),
  );
  const table = h("div", { class: "timeline-wrap" });
  const estimate = h("div", { "data-test": "estimate" });
  const mine = h("span", { "data-test": "mine" });
  const clock = h("span", { class: "countdown", "data-test": "countdown" });
  const picked = new Set();
  const codes = new Map();
  let hold = null; // {seatIds, startTime, hours, expireAt}
  const orderButton = h("button", {
    class: "primary",
    disabled: true,
    "data-test": "order",
    onclick: () =>
      placeOrder({
        showId: show.id,
        sessionId,
        seatIds: hold.seatIds,
        bookingDate: hold.startTime,
        bookingDuration: hold.hours,
      }),
  }, t("orderNow"));
  const windowOf = () => {
    const hours = Number(hoursSel.value);
    const start = Number(startSel.value);
    return { date: dateSel.value, start, hours, startTime: `${dateSel.value} ${pad(start)}:00:00` };
  };
  const cellKey = (date, hour) => `${date}T${pad(hour)}:00`;
  const showEstimate = () => {
    const w = windowOf();
    let night = 0;
    for (let i = 0; i < w.hours; i++) if (inWindow((w.start + i) % 24, nightFrom, nightTo)) night++;
    const seats = Math.max(1, hold ? hold.seatIds.length : picked.size);
    const dayPrice = area.price;
    const nightPrice = area.nightPrice ?? area.price;
    const total = seats * ((w.hours - night) * dayPrice + night * nightPrice);
    estimate.replaceChildren(
      h("span", {}, `${t("dayPrice")} ${money(dayPrice)}${t("perHour")} · `),
      h(
        "span",
        { "data-test": "night-price" },
        `${t("nightPrice")} (${settings.nightFrom}–${settings.nightTo}) ${money(nightPrice)}${
          t("perHour")
        }`,
      ),
      h(
        "span",
        { class: "muted" },
        ` · ${t("estimate")}: ${seats} × ${w.hours}h (${t("nightHours", night)}) = `,
      ),
      h("span", { class: "price" }, money(total)),
    );
  };
  const refresh = async () => {
    const w = windowOf();
    const data = await api(
      "GET",
      `/api/seat/availability?areaId=${area.id}&sessionId=${sessionId}&date=${w.date}`,
    );
    const inChosen = (hr) => hr >= w.start && hr < w.start + w.hours;
    const head = h(
      "tr",
      {},
      h("th"),
      Array.from({ length: 24 }, (_, i) => h("th", {}, i % 3 === 0 ? pad(i) : "")),
    );
    for (const seat of data.seats) codes.set(seat.id, seat.seatCode);
    const rows = data.seats.map((seat) => {
      const cells = Array.from({ length: 24 }, (_, hr) => {
        const key = cellKey(w.date, hr);
        const busy = seat.busy.find((b) =>
          when(b.start).replace(" ", "T") <= key && key < when(b.end).replace(" ", "T")
        );
        const kind = busy
          ? (busy.mine ? "mine" : busy.state === "held" ? "held" : "sold")
          : inWindow(hr, nightFrom, nightTo)
          ? "night"
          : "";
        return h("td", {
          class: `${kind}${inChosen(hr) ? " window" : ""}`,
          title: `${seat.seatCode} ${pad(hr)}:00`,
        });
      });
      return h(
        "tr",
        { class: picked.has(seat.id) ? "picked" : "", "data-seat": seat.id },
        h(
          "td",
          { class: "code" },
          h("button", {
            onclick: () => {
              picked.has(seat.id) ? picked.delete(seat.id) : picked.add(seat.id);
              refresh();
            },
          }, seat.seatCode),
        ),
        cells,
      );
    });
    table.replaceChildren(
      h("table", { class: "timeline" }, h("thead", {}, head), h("tbody", {}, rows)),
    );
    showEstimate();
    tick();
  };
  const tick = () => {
    clock.textContent = hold ? countdownText(hold.expireAt) : "";
    if (hold && hold.expireAt <= Date.now()) hold = null;
    orderButton.disabled = !hold;
    const seatCodes = hold ? hold.codes.join(", ") : t("none");
    mine.textContent = hold ? `${seatCodes} · ${when(hold.startTime)} +${hold.hours}h` : seatCodes;
  };
  const releaseHold = async () => {
    if (!hold) return;
    const w = hold;
    hold = null;
    await attempt(() =>
      api("POST", "/api/seat/release", {
        sessionId,
        seatIds: w.seatIds,
        startTime: w.startTime,
        hours: w.hours,
      })
    );
  };
  const holdSeats = async (useBest) => {
    if (needLogin()) return;
    const w = windowOf();
    await releaseHold();
    const got = await attempt(() =>
      useBest
        ? api("POST", "/api/seat/best", {
          sessionId,
          areaId: area.id,
          count: Number(count.value),
          startTime: w.startTime,
          hours: w.hours,
        })
        : api("POST", "/api/seat/lock", {
          sessionId,
          seatIds: [...picked],
          startTime: w.startTime,
          hours: w.hours,
        })
    );
    if (got) {
      hold = {
        seatIds: got.seatIds,
        codes: got.seatIds.map((id) => codes.get(id) || String(id)),
        startTime: w.startTime,
        hours: w.hours,
        expireAt: Date.parse(got.expireTime),
      };
      picked.clear();
      for (const id of got.seatIds) picked.add(id);
    }
    await refresh();
  };
  for (const sel of [dateSel, startSel, hoursSel]) {
    sel.addEventListener("change", () => refresh().catch((e) => toast(e.message, true)));
  }

  box.replaceChildren(
    h(
      "div",
      { class: "panel" },
      h(
        "div",
        { class: "toolbar" },
        h("label", {}, `${t("date")} `, dateSel),
        h("label", {}, `${t("start")} `, startSel),
        h("label", {}, `${t("hours")} `, hoursSel),
      ),
      estimate,
      h(
        "div",
        { class: "toolbar" },
        h("strong", {}, t("bestSeats")),
        count,
        h("button", { "data-test": "best", onclick: () => holdSeats(true) }, t("best")),
        h("button", { "data-test": "hold", onclick: () => holdSeats(false) }, t("holdSelected")),
      ),
      h("div", { class: "muted" }, t("pickSeatsHint")),
      h(
        "div",
        { class: "legend" },
        ["held", "sold", "mine", "night"].map((k) => h("span", {}, h("i", { class: k }), t(k))),
      ),
      table,
      h(
        "div",
        { class: "summary" },
        h("div", {}, `${t("yourSeats")}: `, mine, " ", clock),
        orderButton,
      ),
    ),
  );
  await refresh();
  every(REFRESH_MS, () => refresh().catch(() => {}));
  every(1000, tick);
}

// ---------------------------------------------------------------- orders

async function orderView(orderNo) {
  if (needLogin()) return;
  const o = await api("GET", `/api/order/${encodeURIComponent(orderNo)}`);
  const facts = [
    [t("orderNo"), o.orderNo],
    [t("show"), o.showName],
    [t("session"), o.sessionName],
    [t("ticket"), o.ticketName],
    [t("seats"), (o.items || []).map((i) => i.seatInfo).filter(Boolean).join(", ")],
    o.bookingDate ? [t("window"), `${when(o.bookingDate)} – ${when(o.bookingEndTime)}`] : null,
    o.basePrice !== undefined && o.basePrice !== null ? [t("basePrice"), money(o.basePrice)] : null,
    o.nightSurcharge !== undefined && o.nightSurcharge !== null
      ? [t("nightSurcharge"), money(o.nightSurcharge)]
      : null,
    [t("total"), h("span", { class: "price", "data-test": "total" }, money(o.totalAmount))],
    [
      t("status"),
      h(
        "span",
        { "data-test": "status", "data-status": o.status },
        t("statuses")[o.status] || o.statusName,
      ),
    ],
    o.status === 0 ? [t("payBefore"), when(o.expireTime)] : null,
  ].filter(Boolean);
  const actions = o.status === 0
    ? h(
      "div",
      { class: "toolbar" },
      [1, 2, 3].map((type) =>
        h("button", {
          class: type === 1 ? "primary" : "",
          "data-test": `pay-${type}`,
          onclick: async () => {
            if (
              await attempt(() => api("POST", `/api/order/pay/${o.orderNo}`, { payType: type }))
            ) {
              toast(t("paid"));
              await route();
            }
          },
        }, `${t("pay")} · ${t("payWith")[type]}`)
      ),
      h("button", { "data-test": "cancel", onclick: () => cancelOrder(o.orderNo) }, t("cancel")),
    )
    : null;
  render(
    h("a", { href: "#/orders" }, t("back")),
    h("h1", {}, t("order")),
    h(
      "div",
      { class: "panel" },
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      actions,
    ),
  );
}

async function cancelOrder(orderNo) {
  if (await attempt(() => api("PUT", `/api/order/cancel/${orderNo}`))) {
    toast(t("cancelled"));
    await route();
  }
}

async function ordersView() {
  if (needLogin()) return;
  const page = await api("GET", "/api/order/list?size=50");
  if (!page.records.length) {
    return render(h("h1", {}, t("myOrders")), h("p", { class: "muted" }, t("noOrders")));
  }
  render(
    h("h1", {}, t("myOrders")),
    h(
      "table",
      { class: "orders" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("show")),
          h("th", { class: "wide" }, t("created")),
          h("th", {}, t("total")),
          h("th", {}, t("status")),
          h("th"),
        ),
      ),
      h(
        "tbody",
        {},
        page.records.map((o) =>
          h(
            "tr",
            { "data-test": "order-row", "data-order": o.orderNo },
            h(
              "td",
              {},
              h("a", { href: `#/order/${o.orderNo}` }, o.showName),
              h("div", { class: "muted" }, o.sessionName),
            ),
            h("td", { class: "wide" }, when(o.createTime)),
            h("td", { class: "price" }, money(o.totalAmount)),
            h("td", { "data-status": o.status }, t("statuses")[o.status] || o.statusName),
            h(
              "td",
              {},
              o.status === 0
                ? h(
                  "button",
                  { "data-test": "cancel", onclick: () => cancelOrder(o.orderNo) },
                  t("cancel"),
                )
                : null,
            ),
          )
        ),
      ),
    ),
  );
}

function loginView(query) {
  const registering = query.get("register") === "1";
  const next = query.get("next") || "#/";
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: registering ? "new-password" : "current-password",
    required: true,
  });
  const phone = h("input", {
    name: "phone",
    type: "tel",
    required: true,
    placeholder: "13800000000",
  });
  const submit = async (e) => {
    e.preventDefault();
    if (registering) {
      const ok = await attempt(() =>
        api("POST", "/api/user/register", {
          username: username.value,
          password: password.value,
          phone: phone.value,
        })
      );
      if (!ok) return;
    }
    const session = await attempt(() =>
      api("POST", "/api/user/login", { username: username.value, password: password.value })
    );
    if (!session) return;
    state.token = session.token;
    state.username = session.nickname || session.username;
    localStorage.setItem("token", state.token);
    localStorage.setItem("username", state.username);
    updateNav();
    location.hash = next;
  };
  render(
    h("h1", {}, registering ? t("register") : t("login")),
    h(
      "form",
      { class: "form", onsubmit: submit },
      h("label", {}, t("username"), username),
      h("label", {}, t("password"), password),
      registering ? h("label", {}, t("phone"), phone) : null,
      h(
        "button",
        { class: "primary", type: "submit", "data-test": "submit" },
        registering ? t("register") : t("login"),
      ),
      h("a", {
        href: registering
          ? `#/login?next=${encodeURIComponent(next)}`
          : `#/login?register=1&next=${encodeURIComponent(next)}`,
      }, registering ? t("haveAccount") : t("noAccount")),
    ),
  );
}

// ---------------------------------------------------------------- frame

function updateNav() {
  document.documentElement.lang = state.lang === "zh" ? "zh" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.getElementById("lang").textContent = state.lang === "zh" ? "EN" : "中文";
  document.getElementById("nav-user").textContent = state.username
    ? t("welcome", state.username)
    : "";
  document.getElementById("nav-login").hidden = Boolean(state.token);
  document.getElementById("nav-logout").hidden = !state.token;
}

async function route() {
  for (const id of state.timers) clearInterval(id);
  state.timers = [];
  const [path, search] = (location.hash.slice(1) || "/").split("?");
  const query = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "show" && parts[1]) await showView(Number(parts[1]), query);
    else if (parts[0] === "order" && parts[1]) await orderView(decodeURIComponent(parts[1]));
    else if (parts[0] === "orders") await ordersView();
    else if (parts[0] === "login") loginView(query);
    else await showsView();
  } catch (e) {
    render(h("p", { class: "muted" }, e.message));
  }
}

document.getElementById("lang").addEventListener("click", () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  localStorage.setItem("lang", state.lang);
  updateNav();
  route();
});
document.getElementById("nav-logout").addEventListener("click", async () => {
  await api("POST", "/api/user/logout").catch(() => {});
  signOut();
  location.hash = "#/";
});
addEventListener("hashchange", route);
updateNav();
route();
