// The bodies the router serves itself (reference §2.7): Heroku's unstyled wrapper around an iframe of the page on
// herokucdn.com. The wrapper of application-error.html is captured verbatim; the maintenance wrapper's title
// ("Offline for Maintenance") was observed on a live app; the no-such-app title is unconfirmed [U].

function wrapper(title: string, page: string): Buffer {
  return Buffer.from(`<!DOCTYPE html>
<html>
  <head>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta charset="utf-8">
    <title>${title}</title>
    <style media="screen">
      html,body,iframe {
        margin: 0;
        padding: 0;
      }
      html,body {
        height: 100%;
        overflow: hidden;
      }
      iframe {
        width: 100%;
        height: 100%;
        border: 0;
      }
    </style>
  </head>
  <body>
    <iframe src="//www.herokucdn.com/error-pages/${page}.html"></iframe>
  </body>
</html>
`);
}

export const APPLICATION_ERROR_PAGE = wrapper('Application Error', 'application-error');
export const MAINTENANCE_PAGE = wrapper('Offline for Maintenance', 'maintenance-mode');
export const NO_SUCH_APP_PAGE = wrapper('No such app', 'no-such-app');
