// Starts GraphiQL against this server's /graphql. A file of its own rather than an inline
// script, so that the page's Content-Security-Policy can allow scripts from this origin only.
// Subscriptions go over a WebSocket to the same /graphql (graphql-transport-ws; the
// graphql-ws client is part of GraphiQL's bundle); the Headers tab's JSON becomes the
// connection_init payload, so the same {"Authorization": "Bearer …"} signs both in.
(function () {
  var http = new URL('/graphql', window.location.origin);
  var ws = new URL(http);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: http.toString(),
    subscriptionUrl: ws.toString(),
    fetch: function (url, opts) {
      return fetch(url, Object.assign({}, opts, { credentials: 'same-origin' }));
    },
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
