/**
 * Types for the adtracker loader (`tracker.js`): the `window.adTracker` command queue,
 * conversions (orders) and the `adtracker:event` decision events.
 *
 * Use it from TypeScript with `import type { AdTrackerOrder } from "./tracker";` (or list
 * this file in your tsconfig's "files"): that also types `window.adTracker` and
 * `document.addEventListener("adtracker:event", …)`.
 */

/** One item of an order. Prices are per unit, not multiplied by the quantity. */
export interface AdTrackerOrderItem {
  sku: string;
  /** More than 0. */
  quantity: number;
  /** Per unit, 0 or more. */
  price: number;
  /** Per unit, 0 or more (equal to `price` when there is no promotion). */
  promotional_price: number;
  seller_id?: string | null;
  product_id?: string | null;
}

/**
 * A conversion. Personal data given in clear (`email`, `phone`, `social_id`,
 * `first_name`, `last_name`) is normalised and SHA-256 hashed in the browser; a
 * `*_hashed` field is sent as given (64 lowercase hex digits). The e-mail is
 * required, in clear or hashed.
 */
export type AdTrackerOrder = AdTrackerOrderFields &
  ({ email: string; email_hashed?: string } | { email?: string; email_hashed: string });

export interface AdTrackerOrderFields {
  order_id: string;
  /** 1 to 500 items. */
  items: AdTrackerOrderItem[];
  phone?: string;
  phone_hashed?: string;
  social_id?: string;
  social_id_hashed?: string;
  first_name?: string;
  first_name_hashed?: string;
  last_name?: string;
  last_name_hashed?: string;
  /** ISO 8601 time of the order; defaults to now. */
  created_at?: string;
  /** Defaults to the tracker's user id (data-user-id, identify, or an anonymous id). */
  user_id?: string;
  /** Defaults to the tracker's session id. */
  session_id?: string;
  /** Defaults to data-publisher-id. */
  publisher_id?: string;
  /** Defaults to data-channel ("ecommerce"). */
  channel?: string;
  brand?: string;
  is_company?: boolean;
  gender?: "F" | "M" | "O";
  /** State (unidade federativa), e.g. "SP". */
  uf?: string;
  city?: string;
}

export type AdTrackerConsent = "granted" | "pending" | "denied";

/** A command for `adTracker.push(...)`: an array whose first element names it. */
export type AdTrackerCommand =
  | ["click", string]
  | ["impression", string]
  | ["view", string]
  | ["conversion", AdTrackerOrder]
  | ["identify", string]
  | ["consent", AdTrackerConsent]
  | ["debug", boolean];

/**
 * `window.adTracker`. A page may create it as a plain array before `tracker.js` runs
 * (`window.adTracker = window.adTracker || []`); the loader keeps what was pushed and
 * adds `ready`. Commands are never thrown back: a bad one is reported on the console.
 */
export interface AdTrackerQueue {
  /** Returns how many commands wait for Python: the queue's length before the tracker
   * is ready, 0 after (each command then runs at once). */
  push(...commands: AdTrackerCommand[]): number;
  /** Added by `tracker.js` (absent on the page's own array before it runs). */
  ready?: Promise<AdTracker>;
  /** Added by `tracker.js`: its version, e.g. "0.2.0" (the wheel's and the docs' too). */
  version?: string;
}

/** `window.adTracker` once `tracker.js` has run. */
export interface AdTracker extends AdTrackerQueue {
  /** Resolves when Python is live; rejects (handled) when the tracker cannot start. */
  ready: Promise<AdTracker>;
  version: string;
}

export type AdTrackerEventType = "click" | "impression" | "view" | "conversion";

/** With data-vtex-events: the storefront's own messages the tracker reads. */
export type AdTrackerPlatformEvent = "vtex:orderPlaced" | "vtex:orderPlacedTracked" | "vtex:userData";

export type AdTrackerOutcome =
  | "sent"
  | "queued"
  | "delivered"
  | "rejected"
  | "failed"
  | "dropped"
  | "deduplicated"
  | "refused"
  | "identified"
  | "ignored";

/** `event.detail` of the `adtracker:event` events dispatched on `document`. */
export interface AdTrackerEventDetail {
  type: AdTrackerEventType | AdTrackerPlatformEvent;
  /** The beacon URL (the conversion URL for conversions; for an ignored VTEX event the
   *  origin that posted it, else ""). */
  url: string;
  outcome: AdTrackerOutcome;
  /** Why, when there is more to say (e.g. "waiting for consent"); else "". */
  reason: string;
  /** A deduplicated event: until when it counts as a duplicate, in ms since the epoch
   *  (as `Date.now()`). Absent otherwise. */
  until?: number;
}

export type AdTrackerEvent = CustomEvent<AdTrackerEventDetail>;

declare global {
  interface Window {
    adTracker: AdTrackerQueue;
  }
  interface DocumentEventMap {
    "adtracker:event": AdTrackerEvent;
  }
}
