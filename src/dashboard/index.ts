export { DashboardSessions, DASHBOARD_HEADER } from './sessions.js';
export { dashboardRoutes, overTls, type DashboardRouteOptions } from './routes.js';
export { vitalsJson } from './vitals.js';
