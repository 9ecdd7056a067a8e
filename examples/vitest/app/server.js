// Answers every request with a greeting that names the path, so a test can see its request reached this dyno.
const http = require('http');

const port = Number(process.env.PORT || 5000);
http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Hello from the vitest example: ${req.url}\n`);
  })
  .listen(port, () => console.log(`vitest example listening on ${port}`));
