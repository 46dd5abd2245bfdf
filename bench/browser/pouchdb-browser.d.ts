// pouchdb-browser ships no types; the page uses a handful of its calls (see page.ts).
declare module 'pouchdb-browser' {
  const PouchDB: any;
  export default PouchDB;
}
