/**
 * The reference system's rows as the importer reads them (lib/import/source.ts), normalised:
 * camelCase, numbers as numbers, times as the text the reference stored (wall-clock times of
 * its zone), soft-deleted and disabled rows flagged rather than dropped.
 */
import type { SourceTable } from "./source.ts";

export interface SourceUser {
  id: number;
  username: string;
  password: string;
  nickname: string | null;
  phone: string | null;
  email: string | null;
  /** status 1 and not deleted: the account could log in. */
  enabled: boolean;
  /** Has the ADMIN role (t_user_role → t_role). */
  admin: boolean;
  createTime: string | null;
}

export interface SourceShow {
  id: number;
  name: string;
  type: number;
  posterUrl: string | null;
  description: string | null;
  venue: string | null;
  city: string | null;
  startTime: string | null;
  endTime: string | null;
  status: number;
  isHot: boolean;
  isRecommend: boolean;
  deleted: boolean;
  updateTime: string | null;
}

export interface SourceSession {
  id: number;
  showId: number;
  name: string | null;
  startTime: string | null;
  endTime: string | null;
  status: number;
  deleted: boolean;
  createTime: string | null;
  updateTime: string | null;
}

export interface SourceVenue {
  id: number;
  name: string;
}

/** A seat area of a venue (the reference's areas belong to venues, not to sessions). */
export interface SourceArea {
  id: number;
  venueId: number | null;
  name: string;
  deleted: boolean;
}

export interface SourceSeat {
  id: number;
  areaId: number;
  rowNum: string;
  seatNum: string;
  seatCode: string | null;
  x: number | null;
  y: number | null;
  enabled: boolean;
  deleted: boolean;
}

export interface SourceTicket {
  id: number;
  showId: number;
  sessionId: number;
  name: string;
  price: number;
  totalCount: number | null;
  remainCount: number | null;
  limitCount: number | null;
  status: number;
  deleted: boolean;
  updateTime: string | null;
}

export interface SourceStock {
  ticketId: number;
  total: number;
  locked: number;
  sold: number;
}

export interface SourceOrder {
  id: number;
  orderNo: string;
  userId: number;
  totalAmount: number;
  payAmount: number | null;
  status: number;
  payType: number | null;
  payTime: string | null;
  expireTime: string | null;
  remark: string | null;
  contactPhone: string | null;
  createTime: string | null;
  updateTime: string | null;
  /** The café variant's booking start (later versions of the reference); null otherwise. */
  bookingDate: string | null;
  deleted: boolean;
}

export interface SourceItem {
  id: number;
  orderId: number;
  showId: number | null;
  sessionId: number | null;
  ticketId: number | null;
  ticketName: string | null;
  seatId: number | null;
  seatInfo: string | null;
  price: number;
  quantity: number;
  subtotal: number | null;
}

export interface SourceData {
  /** Which database each table came from (the source keys name it). */
  databases: Partial<Record<SourceTable, string>>;
  users: SourceUser[];
  shows: SourceShow[];
  sessions: SourceSession[];
  venues: SourceVenue[];
  areas: SourceArea[];
  seats: SourceSeat[];
  tickets: SourceTicket[];
  stocks: SourceStock[];
  orders: SourceOrder[];
  items: SourceItem[];
}
