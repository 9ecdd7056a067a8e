export { DashboardSessions, DASHBOARD_HEADER } from './sessions.js';
export { dashboardRoutes, type DashboardRouteOptions } from './routes.js';
