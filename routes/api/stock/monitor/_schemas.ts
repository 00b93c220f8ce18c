/** Reply schemas of the stock dashboard routes (a helper, not a route). */
import { z } from "#deps";

const n = z.number();
/** One number field per name, keyed precisely so replies are type-checked field by field. */
const fields = <const K extends string>(names: readonly K[]) =>
  Object.fromEntries(names.map((name) => [name, n])) as { [P in K]: typeof n };

export const StockStats = z.object({
  ...fields([
    "totalStock",
    "availableStock",
    "lockedStock",
    "soldStock",
    "stockUtilization",
    "lowStockCount",
    "outOfStockCount",
    "tierCount",
  ]),
  timestamp: z.string(),
}).openapi("MonitorStockStats");

export const SuccessRates = z.object(fields([
  "totalOperations",
  "successfulOperations",
  "failedOperations",
  "successRate",
  "lockSuccessRate",
  "unlockSuccessRate",
  "deductSuccessRate",
  "lock_success_rate",
  "confirm_success_rate",
  "rollback_success_rate",
  "total_operations",
  "error_operations",
  "overall_success_rate",
  "timestamp",
])).openapi("MonitorSuccessRates");

export const Performance = z.object(fields([
  "averageResponseTime",
  "maxResponseTime",
  "minResponseTime",
  "requestsPerSecond",
  "activeConnections",
  "avg_response_time_ms",
  "max_response_time_ms",
  "total_operations",
  "qps",
  "error_rate",
  "concurrent_operations",
  "timestamp",
])).openapi("MonitorPerformance");

export const Exceptions = z.object(fields([
  "totalExceptions",
  "stockInsufficientCount",
  "concurrencyConflictCount",
  "systemErrorCount",
  "networkErrorCount",
  "timestamp",
])).openapi("MonitorExceptions");

const UpDown = z.enum(["UP", "DOWN"]);

export const Health = z.object({
  status: z.enum(["UP", "DOWN", "DEGRADED"]),
  database: UpDown,
  redis: UpDown,
  nacos: UpDown,
  uptime: n,
  timestamp: z.string(),
  meter_registry: UpDown,
  stock_monitor: UpDown,
  error_rate: n,
  low_error_rate: z.boolean(),
  good_performance: z.boolean(),
}).openapi("MonitorHealth");
