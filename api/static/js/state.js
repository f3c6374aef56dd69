/* What the dashboard holds while it runs: the language, the names read from the API, the route
 * shown and its data, the refresh, the API key, the charts and the map. One object, which every
 * module reads and writes. */

export const state = {
  lang: "th", // read at boot (main.js), as is the key
  crops: {},
  groups: {},
  buyers: {},
  districts: {},
  namesAt: 0,
  overview: null,
  route: null,
  data: null,
  dataRoute: null,
  generation: 0,
  timer: null,
  offline: false,
  needKey: false,
  forbidden: false,
  serverError: 0,
  seeded: false,
  apiKey: "",
  updated: null,
  charts: {},
  map: null,
};
