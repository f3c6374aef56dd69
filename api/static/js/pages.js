/* Every page by route name: load(route) asks the API, render(data, route) draws the answer,
 * shown() (optional) runs when the page appears. */
import { fillPage } from "./pages/fill.js";
import { groupPage } from "./pages/group.js";
import { groupsPage } from "./pages/groups.js";
import { kitchenPage } from "./pages/kitchen.js";
import { kitchensPage } from "./pages/kitchens.js";
import { mapPage } from "./pages/map.js";
import { overviewPage } from "./pages/overview.js";
import { planningPage } from "./pages/planning.js";
import { unmetPage } from "./pages/unmet.js";

const notFoundPage = {
  load: function () { return Promise.resolve({}); },
  render: function () {},
};

export const PAGES = {
  overview: overviewPage,
  map: mapPage,
  fill: fillPage,
  unmet: unmetPage,
  groups: groupsPage,
  kitchens: kitchensPage,
  planning: planningPage,
  kitchen: kitchenPage,
  group: groupPage,
  notfound: notFoundPage,
};
