// The bodies the router serves itself (reference §2.7, §2.8), with Heroku's wording. Heroku's own pages are a
// wrapper around an iframe of herokucdn.com; a page Berth shows must not fetch anything from outside the machine, so
// each page here is whole: inline HTML and CSS, no URL at all. The application-error text is Heroku's (snapshot of
// the real page); the maintenance and no-such-app texts are recalled [U].

const STYLE = `
      html, body { margin: 0; padding: 0; height: 100%; }
      body {
        display: flex; align-items: center; justify-content: center;
        background: #f7f8fb; color: #3f3f44;
        font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif;
      }
      main { max-width: 32rem; padding: 2rem; text-align: center; }
      h1 { margin: 0 0 1rem; font-size: 1.5rem; font-weight: 600; color: #79589f; }
      p { margin: 0 0 0.75rem; line-height: 1.5; }
      code { font-family: Menlo, Consolas, monospace; background: #ecebf3; padding: 0.1rem 0.3rem; border-radius: 3px; }`;

function page(title: string, heading: string, paragraphs: readonly string[]): Buffer {
  return Buffer.from(`<!DOCTYPE html>
<html>
  <head>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta charset="utf-8">
    <title>${title}</title>
    <style media="screen">${STYLE}
    </style>
  </head>
  <body>
    <main>
      <h1>${heading}</h1>
${paragraphs.map((text) => `      <p>${text}</p>`).join('\n')}
    </main>
  </body>
</html>
`);
}

export const APPLICATION_ERROR_PAGE = page('Application Error', 'Application error', [
  'An error occurred in the application and your page could not be served. If you are the application owner, check ' +
    'your logs for details. You can do this from the Heroku CLI with the command <code>heroku logs --tail</code>',
]);
export const MAINTENANCE_PAGE = page('Offline for Maintenance', 'Offline for Maintenance', [
  'This app is undergoing maintenance right now. Please check back later.',
]);
export const NO_SUCH_APP_PAGE = page('No such app', 'No such app', [
  'There is no app configured at that hostname.',
  'Perhaps the app owner has renamed it, or you mistyped the URL.',
]);
