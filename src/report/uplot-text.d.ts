// uPlot's files, embedded in the report as text (`with { type: "text" }`): the build inlines them.
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
declare module "uplot/LICENSE" {
  const text: string;
  export default text;
}
